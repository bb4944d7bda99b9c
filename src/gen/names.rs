//! Static tables: Chinese names, banks, places, business words.

/// Common Chinese surnames (roughly by frequency: earlier ones are drawn more often).
pub(crate) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆",
    "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛",
    "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武",
    "戴",
];

/// Characters used in given names (one or two of them).
pub(crate) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平",
    "刚", "华", "建", "国", "玉", "兰", "英", "梅", "红", "鹏", "辉", "斌", "宇", "浩", "凯", "俊", "帅", "晨", "欣",
    "怡", "婷", "雪", "琳", "佳", "宁", "博", "文", "志", "海", "峰", "波", "林", "云", "龙", "飞", "鑫", "瑶", "颖",
    "倩", "慧", "晶", "亮", "成", "春", "秀", "桂", "金", "荣", "德", "永", "子", "嘉", "思", "雨", "婉", "泽", "轩",
    "睿", "涵", "梓", "诗",
];

/// A bank: code (used in the `bank` column and in ATM ids), Chinese short name, card BIN and
/// card-number length, corporate-account prefix and length, and a market-share weight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bank {
    pub code: &'static str,
    pub name: &'static str,
    pub bin: &'static str,
    pub card_len: usize,
    pub corp_prefix: &'static str,
    pub corp_len: usize,
    pub weight: u32,
}

pub(crate) const BANKS: &[Bank] = &[
    Bank {
        code: "ICBC", name: "工商银行", bin: "622202", card_len: 19, corp_prefix: "4000", corp_len: 19, weight: 18
    },
    Bank {
        code: "CCB", name: "建设银行", bin: "621700", card_len: 19, corp_prefix: "4420", corp_len: 20, weight: 16
    },
    Bank {
        code: "ABC", name: "农业银行", bin: "622848", card_len: 19, corp_prefix: "4410", corp_len: 17, weight: 15
    },
    Bank {
        code: "BOC", name: "中国银行", bin: "621661", card_len: 19, corp_prefix: "7450", corp_len: 12, weight: 10
    },
    Bank {
        code: "BOCOM", name: "交通银行", bin: "622262", card_len: 19, corp_prefix: "4430", corp_len: 21, weight: 7
    },
    Bank {
        code: "CMB", name: "招商银行", bin: "621483", card_len: 16, corp_prefix: "7559", corp_len: 15, weight: 10
    },
    Bank {
        code: "PSBC", name: "邮储银行", bin: "621799", card_len: 19, corp_prefix: "9440", corp_len: 18, weight: 9
    },
    Bank {
        code: "CIB", name: "兴业银行", bin: "622909", card_len: 18, corp_prefix: "3370", corp_len: 18, weight: 4
    },
    Bank {
        code: "SPDB", name: "浦发银行", bin: "622521", card_len: 16, corp_prefix: "7901", corp_len: 17, weight: 3
    },
    Bank {
        code: "CITIC", name: "中信银行", bin: "621771", card_len: 16, corp_prefix: "8110", corp_len: 19, weight: 3
    },
    Bank {
        code: "CMBC", name: "民生银行", bin: "622622", card_len: 16, corp_prefix: "6930", corp_len: 16, weight: 2
    },
    Bank {
        code: "PAB", name: "平安银行", bin: "622155", card_len: 16, corp_prefix: "1500", corp_len: 14, weight: 3
    },
];

/// Payment platforms whose reserve (备付金) accounts appear as counterparties.
pub(crate) const PLATFORMS: &[(&str, &str, &str)] = &[
    ("TENPAY", "TENPAY-RESERVE-01", "财付通支付科技有限公司"),
    ("ALIPAY", "ALIPAY-RESERVE-01", "支付宝（中国）网络技术有限公司"),
];

/// Where most people of the world live and bank.
pub(crate) const LOCAL_CITIES: &[(&str, &[&str])] = &[
    ("深圳", &["南山", "福田", "罗湖", "宝安", "龙岗", "龙华"]),
    ("广州", &["天河", "越秀", "海珠", "白云", "番禺"]),
    ("东莞", &["南城", "东城", "长安", "虎门", "松山湖"]),
    ("佛山", &["禅城", "南海", "顺德"]),
];

/// Home towns of migrant workers, and where card dealers often have cards opened.
pub(crate) const REMOTE_CITIES: &[(&str, &[&str])] = &[
    ("南宁", &["青秀", "兴宁", "西乡塘"]),
    ("邵阳", &["双清", "大祥", "隆回"]),
    ("赣州", &["章贡", "于都", "瑞金"]),
    ("周口", &["川汇", "项城", "郸城"]),
    ("昆明", &["官渡", "五华", "盘龙"]),
    ("遵义", &["汇川", "红花岗", "仁怀"]),
];

pub(crate) const COMPANY_WORDS: &[&str] = &[
    "科技",
    "贸易",
    "电子",
    "物流",
    "建筑工程",
    "餐饮管理",
    "服装",
    "实业",
    "网络",
    "食品",
    "精密制造",
    "家具",
    "物业管理",
    "印刷",
];

pub(crate) const SHOP_TYPES: &[&str] = &[
    "便利店",
    "超市",
    "餐厅",
    "水果店",
    "面馆",
    "药房",
    "服装店",
    "五金店",
    "奶茶店",
    "理发店",
    "烧腊店",
    "早餐店",
    "干洗店",
    "文具店",
];

/// Shops selling goods that mules buy to cash out (phones, gold, electronics).
pub(crate) const HV_SHOP_TYPES: &[&str] = &["数码城", "手机店", "金店", "电器行", "珠宝行"];
