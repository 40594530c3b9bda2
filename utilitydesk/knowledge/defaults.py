"""The forbidden and standard phrases of seed 003 (第一章 服务用语 10–17), shipped as data;
administrators maintain them afterwards. Used by the data migration and by tests."""

FORBIDDEN_PHRASES = [
    "这是规定，就不行",
    "我就这态度，不满意到别处问",
    "你问我，我问谁",
    "不是告诉你了，怎么还不明白",
    "说了这么多遍还不明白",
    "你认为不对吗",
    "对不起，我只能解答到这里了",
    "不是刚才和你说过了吗，怎么还问",
    "我没有更好得解释了",
    "我没有更好的解释了",
]
# {company} is the company's name (the company unit of the organisation tree), {agent}
# the name of the person speaking; knowledge.selectors.render_phrase fills them in. The
# seed's blanks ("XX供热公司XXX") were placeholders for exactly these.
STANDARD_PHRASES = [
    ("热线接听", "您好，{company}{agent}很高兴为您服务。"),
    ("没听清", "对不起，请您再重复一遍好吗？"),
    ("声音小", "对不起，请您大声点儿，好吗？"),
    ("用户久等", "对不起让您久等了，请问有什么可以帮助您？"),
    (
        "催促上门",
        "我们已经安排工作人员入户了，可能在路上有些耽搁，我再帮您催一下，请您再耐心等待。",
    ),
    ("通话结束", "感谢您的来电，再见。"),
    ("入户自我介绍", "您好，我是{company}的工作人员，为您提供测温或维修等服务。"),
]
# The texts the first release shipped; rows still holding them were never edited.
SHIPPED_PLACEHOLDER_PHRASES = {
    "您好，XX供热公司XXX很高兴为您服务。": "您好，{company}{agent}很高兴为您服务。",
    "您好，我是XX供热公司的工作人员，为您提供测温或维修等服务。": (
        "您好，我是{company}的工作人员，为您提供测温或维修等服务。"
    ),
}

# The heating FAQ, from the seeds and docs/rules: season (003 第五条, R-206),
# fees and payment (003 第四条, 000 §六, R-802, R-803, R-805, R-806), stopping and
# resuming heat, the temperature standard and measurement (003, R-701, R-705,
# R-706), repairs and emergencies (003 第七、八条, R-303 – ), outages
# answers and complaints, staff at the door (003).
# (question, answer, keywords); the question is the key: an entry an administrator has
# edited or deactivated is never touched again.
FAQ_ENTRIES = [
    (
        "供暖期从哪天开始到哪天结束？",
        "采暖期为每年11月15日至次年3月20日，以公司公布的当年供热期为准。"
        "采暖期内客服热线24小时有人接听；非采暖期在正常工作时间接听。",
        "供暖期 采暖期 开始 结束 时间 几号 停暖",
    ),
    (
        "热费是怎么计算的？",
        "热费执行物价部门审批的热价：按供热面积计费的，热费 = 供热面积（平方米）× "
        "每平方米单价（每个采暖期）；安装热计量表并按计量收费的，按计量收取。"
        "居民与非居民用户的单价不同，具体以公司公布的收费标准为准。"
        "您的供热面积和计费方式登记在用户档案中，客服人员可为您核对。"
        "公司严禁乱收费、乱加价、乱罚款；对账单有疑问可随时来电，计费有误的及时更正。",
        "热费 计算 收费标准 单价 面积 平方米 计量 价格 多少钱 账单",
    ),
    (
        "热费怎么交？有哪些缴费方式？",
        "可以通过银行代扣、网上缴费、自助缴费终端或到营业厅现金缴费。"
        "供热期开始前公司会发出缴费通知，告知缴费标准、缴费期限和缴费方式；"
        "缴费期限到期前还会再次提醒。",
        "缴费 交费 热费 方式 渠道 银行 代扣 网上 营业厅",
    ),
    (
        "逾期没交热费会怎样？",
        "逾期未缴的，收费部门会通过电话、上门或催缴函提醒。多次催缴仍未缴纳的，"
        "公司可在书面提前通知后限制或停止供热，并依法追缴；不会因此影响邻居的供热。"
        "缴清欠费后24小时内恢复供热。滞纳金按公司公布的标准计收。",
        "欠费 逾期 催缴 滞纳金 停热 恢复",
    ),
    (
        "申请停热（报停）需要什么手续？",
        "停止或恢复一个采暖期的供热，需要在采暖期开始30天前提出申请，"
        "可拨打客服热线或到客服中心办理。办理后您的供热状态在用户档案中登记为"
        "“暂停供热”；以后要恢复供热，同样在采暖期开始30天前申请。",
        "报停 停热 停暖 暂停供热 申请 手续",
    ),
    (
        "停热后怎样恢复供暖？",
        "恢复供暖请在采暖期开始30天前拨打客服热线或到客服中心申请，"
        "登记后供热状态恢复为“正常供热”。因欠费停热的，缴清欠费后24小时内恢复供热。",
        "恢复供暖 恢复供热 开栓 报开 复供",
    ),
    (
        "室内温度多少算达标？",
        "采暖期内，在房屋采暖设施设计合理、保暖措施得当的情况下，"
        "卧室、起居室温度不低于18℃为达标。觉得不热可以申请上门测温："
        "工作人员在24小时内、早8点到晚9点之间上门，用经检定的测温仪在房间中央"
        "离地1.2米处测量（测量前门窗关闭30分钟），测温记录须经您签字确认。"
        "经测温确认不达标的，按公司规定退减相应热费。",
        "温度 达标 18度 标准 测温 不热 退费",
    ),
    (
        "暖气不热怎么办？",
        "请拨打客服热线报修，客服人员登记后派单到您所在片区的供热所，"
        "工作人员一小时内上门或与您预约时间。如果整栋楼或整个小区都不热，"
        "可能是管网故障，客服人员会告诉您抢修进度；非热源原因的设备故障24小时内恢复供暖。"
        "经查属于户内原因的，工作人员会向您书面说明，能修复的无偿帮您修复，"
        "确实无法解决的，经您同意转有偿服务。",
        "不热 暖气凉 暖气片不热 报修 温度低",
    ),
    (
        "暖气片需要放气（排气）怎么办？",
        "怀疑暖气片里有空气需要放气（排气）时，请拨打客服热线报修，"
        "由供热所工作人员上门处理并向您说明注意事项。属于户内原因的，"
        "工作人员会书面说明，能修复的无偿修复。",
        "放气 排气 放风 跑风 有空气 暖气片 一半热",
    ),
    (
        "家里暖气漏水了怎么办？",
        "请立即拨打客服热线。影响供热或安全的漏水、爆管按紧急抢修处理，"
        "工作人员一小时内到达现场；采暖期内热线24小时有人接听。",
        "漏水 爆管 抢修 紧急 跑水",
    ),
    (
        "遇到紧急情况找谁？",
        "影响供热或安全的紧急情况（漏水、爆管、大面积不热等），请直接拨打客服热线，"
        "采暖期内24小时有人接听。紧急抢修的工作人员一小时内到达现场，"
        "处理结果反馈客服中心，事后会给您回访。",
        "紧急 应急 抢修 电话 热线 找谁 夜间",
    ),
    (
        "报修后多久上门？",
        "维修一小时上门，力争一次解决问题。工作人员会先给您打电话，"
        "按约定时间或提前10分钟到达；不能按时到达会提前来电另约时间。"
        "您不在家时会留言并另约上门时间。维修完成后请在维修单上签字确认，之后会有回访。",
        "上门 多久 维修 报修 预约 时间",
    ),
    (
        "计划停热会提前通知吗？",
        "计划停热检修至少提前48小时通知受影响的用户，并告知预计恢复时间；"
        "突发停热会在知道后尽快通知。停热期间可来电询问抢修进度。",
        "停热 通知 检修 计划 停暖 恢复时间",
    ),
    (
        "咨询和投诉多久答复？",
        "您反映的问题、咨询和投诉在24小时内答复。投诉一般在3个工作日内处理完毕，"
        "特殊情况不超过7个工作日；处理后会给您回访。",
        "投诉 咨询 答复 多久 处理 时限",
    ),
    (
        "怎样确认上门的是供热公司的工作人员？",
        "入户人员会出示工作证并说明来意，经您同意后戴鞋套入户，"
        "工作完毕请您在维修或测温单上签字。工作人员不吃用户饭、不收用户礼，"
        "如发现吃、拿、卡、要等问题，可向客服中心投诉。",
        "工作证 上门 身份 入户 工作人员",
    ),
]


def install_default_phrases(forbidden_model, standard_model) -> None:
    for text in FORBIDDEN_PHRASES:
        forbidden_model.objects.get_or_create(text=text)
    for position, (situation, text) in enumerate(STANDARD_PHRASES):
        standard_model.objects.get_or_create(
            situation=situation, defaults={"text": text, "position": position}
        )


def install_default_faq(entry_model) -> int:
    """Add the FAQ entries that are missing (by question); returns how many were added."""
    added = 0
    for question, answer, keywords in FAQ_ENTRIES:
        _entry, created = entry_model.objects.get_or_create(
            question=question, defaults={"answer": answer, "keywords": keywords}
        )
        added += created
    return added


def replace_shipped_placeholders(standard_model) -> int:
    """Phrases still holding the first release's placeholder text get the named blanks."""
    changed = 0
    for old, new in SHIPPED_PLACEHOLDER_PHRASES.items():
        changed += standard_model.objects.filter(text=old).update(text=new)
    return changed
