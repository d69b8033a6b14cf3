/**
 * Word lists for the demo dataset. Place names of the city and its nine counties are real;
 * townships (except 温岭市's) and villages, people and organizations are made up from these lists.
 */

/** 台州市 and its nine county-level divisions, with their real GB/T 2260 codes. */
export const CITY = { name: "台州市", regionCode: "331000" } as const;

export interface CountySpec {
  name: string;
  regionCode: string;
  /** Share of the city's monitored households living there. */
  weight: number;
  townships: number;
  /** Service projects active in the first half of 2025. */
  projects: number;
}

export const COUNTIES: readonly CountySpec[] = [
  { name: "椒江区", regionCode: "331002", weight: 0.1, townships: 9, projects: 18 },
  { name: "黄岩区", regionCode: "331003", weight: 0.1, townships: 13, projects: 16 },
  { name: "路桥区", regionCode: "331004", weight: 0.09, townships: 10, projects: 15 },
  { name: "三门县", regionCode: "331022", weight: 0.09, townships: 10, projects: 14 },
  { name: "天台县", regionCode: "331023", weight: 0.12, townships: 13, projects: 16 },
  { name: "仙居县", regionCode: "331024", weight: 0.12, townships: 14, projects: 15 },
  { name: "温岭市", regionCode: "331081", weight: 0.14, townships: 16, projects: 22 },
  { name: "临海市", regionCode: "331082", weight: 0.15, townships: 15, projects: 23 },
  { name: "玉环市", regionCode: "331083", weight: 0.09, townships: 11, projects: 15 },
];

/** 温岭市's townships (its pilots of service-type assistance are 太平街道 and 石桥头镇). */
export const WENLING_TOWNSHIPS = [
  "太平街道", "城东街道", "城西街道", "城北街道", "横峰街道", "泽国镇", "大溪镇", "松门镇",
  "箬横镇", "新河镇", "石塘镇", "滨海镇", "温峤镇", "城南镇", "石桥头镇", "坞根镇",
] as const;

/** Syllables that make plausible place names when two are put together. */
export const PLACE_SYLLABLES = [
  ..."东西南北新塘山溪湖岙桥洋岭前后上石泉坑浦港沙田屿江河林峰岩里庄埠湾岗亭坦横长中高白青金花龙凤马桃梅竹松柏安平宁和兴盛丰永福寿古义仁礼方章双三五",
];

export const SURNAMES = [
  ..."王陈林张李黄周吴徐郑叶金蒋杨赵潘陶朱应梁卢蔡罗许何胡郭谢颜项娄彭泮丁戴罗缪章柯阮管蒋池鲍",
];

export const GIVEN_NAME_CHARS = [
  ..."伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰红梅建国志德海波云飞斌琴萍亮辉鹏雪燕婷晨浩宇欣怡子涵梓轩一诺雨彤佳琪俊杰",
];

/** County-level government departments (联动部门机构), by the name that follows the county's. */
export const COUNTY_DEPARTMENTS = [
  "民政局", "人力资源和社会保障局", "卫生健康局", "教育局", "财政局", "住房和城乡建设局", "农业农村局",
  "医疗保障局", "司法局", "退役军人事务局", "文化和广电旅游体育局", "应急管理局", "市场监督管理局",
  "公安局", "商务局", "残疾人联合会", "总工会", "妇女联合会", "科学技术协会", "团委",
] as const;

export const CITY_DEPARTMENTS = [
  "民政局", "人力资源和社会保障局", "卫生健康委员会", "教育局", "财政局", "医疗保障局", "残疾人联合会", "总工会",
] as const;

export const SOCIAL_ORGANIZATION_NAMES = [
  "阳光社会工作服务中心", "益家社工服务社", "心聆心理咨询服务中心", "夕阳红居家养老服务中心", "春苗青少年服务中心",
  "同心助残服务中心", "邻里守望社区服务中心", "暖心家庭服务社", "善行公益服务中心", "惠民社会工作事务所",
  "康乐健康服务中心", "启航就业服务中心", "彩虹儿童关爱中心", "和美社区发展中心", "乐龄养老服务中心",
];

export const ENTERPRISE_NAMES = [
  "家政服务有限公司", "电子商务有限公司", "医疗器械有限公司", "物业管理有限公司", "食品有限公司", "鞋业有限公司",
  "泵业有限公司", "水产有限公司",
];

export const ASSOCIATION_NAMES = ["家政服务业协会", "电子商务协会", "养老服务业协会", "社会工作者协会", "心理卫生协会"];

export const SOCIAL_GROUP_NAMES = ["红十字会", "老年人体育协会", "青年志愿者协会", "义工联合会"];

export const VOLUNTEER_TEAM_NAMES = ["红马甲志愿服务队", "银龄志愿服务队", "巾帼志愿服务队", "青年突击志愿服务队", "党员先锋志愿服务队", "乡贤志愿服务队"];

export const CHARITY_NAMES = ["慈善总会", "慈善基金会"];

/** Project names by category: what lottery-funded service assistance looks like. */
export const PROJECT_NAMES: Record<string, readonly string[]> = {
  PRECISION_ASSISTANCE: ["困难家庭精准帮扶计划", "一户一策精准帮扶", "物资救助与政策代办", "低收入家庭需求排摸"],
  PSYCHOLOGICAL_SUPPORT: ["心理赋能关爱行动", "心灵驿站心理疏导", "困境家庭心理支持"],
  SKILLS_TRAINING: ["家政技能培训", "手工编织技能培训", "电商直播技能培训", "巧手致富培训班"],
  COMMUNITY_INTEGRATION: ["社区融入邻里互助", "幸福邻里节", "困难群众社区融入计划"],
  EMPLOYMENT: ["就业帮扶护航行动", "公益岗位对接"],
  MINOR_CARE: ["困境儿童关爱护航", "春苗课业辅导", "留守儿童暑期陪伴"],
  ELDERLY_CARE: ["独居老人探访关爱", "居家养老助餐服务", "适老化改造"],
  MEDICAL_SUPPORT: ["健康义诊进村", "慢病管理上门服务"],
};

/** What households ask for, by category of the help they need. */
export const REQUEST_TITLES: Record<string, readonly string[]> = {
  PRECISION_ASSISTANCE: ["需要代办医疗救助申请", "冬季取暖物资", "协助申请临时救助", "需要助学政策咨询"],
  PSYCHOLOGICAL_SUPPORT: ["家属需要心理疏导", "独居老人情绪低落，需要陪伴"],
  SKILLS_TRAINING: ["希望参加家政技能培训", "想学电商直播"],
  COMMUNITY_INTEGRATION: ["希望参加社区活动", "需要邻里结对帮扶"],
  ELDERLY_CARE: ["居家适老化改造", "需要助餐服务", "行动不便，需要助浴"],
  MINOR_CARE: ["孩子需要课业辅导", "暑期托管"],
  MEDICAL_SUPPORT: ["需要上门测血压", "陪同就医"],
};
