"""Deterministic synthetic service-guide corpus for analysis tests and benchmarks.

The names and summaries imitate real guide pages (item + action, department,
conditions, materials, time limits, fees) so that segmentation speed and token
counts are representative.  No Django, no randomness across runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ITEMS = [
    "营业执照", "个体工商户营业执照", "食品经营许可证", "小餐饮登记", "药品经营许可证",
    "特种设备使用登记", "企业名称", "法定代表人", "股权出质", "企业年报", "印章刻制",
    "居民身份证", "临时居民身份证", "居住证", "户口迁移", "出生登记", "无犯罪记录证明",
    "往来港澳通行证", "普通护照", "机动车驾驶证", "电动自行车登记", "养犬登记",
    "出生医学证明", "生育登记", "生育津贴", "预防接种证", "从业人员健康证明",
    "社会保障卡", "城乡居民基本医疗保险", "异地就医备案", "门诊慢特病", "失业保险金",
    "工伤认定", "劳动能力鉴定", "养老保险待遇", "丧葬补助金", "职业技能等级证书",
    "创业担保贷款", "一次性创业补贴", "流动人员人事档案", "职称评审", "劳动争议仲裁",
    "结婚登记", "离婚登记", "婚姻状况证明", "收养登记", "最低生活保障", "特困人员供养",
    "临时救助", "残疾人证", "困难残疾人生活补贴", "高龄津贴", "老年人优待证",
    "养老机构备案", "退役军人优待证", "烈士褒扬金", "不动产首次登记", "不动产转移登记",
    "不动产抵押登记", "不动产权证书", "住房租赁补贴", "公共租赁住房", "住房公积金提取",
    "住房公积金贷款", "既有住宅增设电梯", "建筑工程施工许可证", "建设工程规划许可证",
    "建设工程消防验收", "竣工验收备案", "城市道路挖掘", "城市道路占用", "户外广告设置",
    "树木迁移", "临时占用绿地", "建筑垃圾处置", "污水排入排水管网许可证", "道路运输证",
    "网络预约出租汽车驾驶员证", "教师资格认定", "义务教育入学", "生源地信用助学贷款",
    "排污许可证", "动物防疫条件合格证", "林木采伐许可证", "旅行社业务经营许可",
    "法律援助", "公证", "人民调解", "纳税申报", "发票代开", "完税证明",
]
ACTIONS = [
    "申请", "申领", "补领", "换领", "注销", "变更", "核发", "备案", "登记", "审批",
    "认定", "查询", "转移", "延续", "办理", "撤销", "补发", "年审",
]
DEPARTMENTS = [
    "市场监督管理局", "公安局", "人力资源和社会保障局", "医疗保障局", "住房和城乡建设局",
    "民政局", "卫生健康委员会", "退役军人事务局", "自然资源和规划局", "税务局",
    "交通运输局", "教育局", "生态环境局", "城市管理和综合执法局", "司法局",
]
DISTRICTS = ["福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "龙华区", "坪山区", "光明区"]
SUBJECTS = [
    "本市户籍居民", "在本市就业的灵活就业人员", "辖区内个体工商户", "依法设立的企业",
    "年满六十周岁的老年人", "持有残疾人证的残疾人", "符合条件的高校毕业生", "退役军人及其家属",
    "在本市缴纳社会保险的职工", "房屋所有权人", "建设单位", "外国人",
]
MATERIALS = [
    "居民身份证原件及复印件", "户口簿", "营业执照副本", "申请表", "授权委托书", "结婚证",
    "不动产权证书", "社会保障卡", "医学诊断证明", "近期免冠照片", "劳动合同",
    "统一社会信用代码证明", "施工图设计文件", "消防设计审查意见", "场地使用证明",
]
EXTRA = [
    "可通过一网通办平台或政务服务中心窗口提交申请。",
    "申请材料齐全、符合法定形式的，当场受理。",
    "本事项实行告知承诺制，申请人承诺符合条件的，可先行办理。",
    "办理结果可通过邮寄送达，也可到窗口自取。",
    "如有疑问，请拨打12345政务服务便民热线咨询。",
    "跨省通办事项可在全国范围内异地办理。",
    "逾期未补正材料的，视为撤回申请。",
    "支持电子证照，无需提交纸质证明。",
]


@dataclass(frozen=True)
class Guide:
    name: str
    summary: str


def make_guides(count: int = 10_000, seed: int = 20240601) -> list[Guide]:
    rng = random.Random(seed)
    guides = []
    for _ in range(count):
        item = rng.choice(ITEMS)
        action = rng.choice(ACTIONS)
        dept = rng.choice(DEPARTMENTS)
        district = rng.choice(DISTRICTS)
        name = f"{item}{action}"
        if rng.random() < 0.3:
            name = f"{district}{name}"
        mats = "、".join(rng.sample(MATERIALS, rng.randint(2, 5)))
        days = rng.choice([1, 3, 5, 7, 10, 15, 20])
        fee = rng.choice(["不收费", "按规定标准收费", "免费办理"])
        summary = (
            f"{rng.choice(SUBJECTS)}可向{district}{dept}申请{item}{action}。"
            f"申请人应当提交{mats}等材料，承诺办理时限为{days}个工作日，{fee}。"
            f"{rng.choice(EXTRA)}{rng.choice(EXTRA)}"
        )
        guides.append(Guide(name, summary))
    return guides
