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
STANDARD_PHRASES = [
    ("热线接听", "您好，XX供热公司XXX很高兴为您服务。"),
    ("没听清", "对不起，请您再重复一遍好吗？"),
    ("声音小", "对不起，请您大声点儿，好吗？"),
    ("用户久等", "对不起让您久等了，请问有什么可以帮助您？"),
    (
        "催促上门",
        "我们已经安排工作人员入户了，可能在路上有些耽搁，我再帮您催一下，请您再耐心等待。",
    ),
    ("通话结束", "感谢您的来电，再见。"),
    ("入户自我介绍", "您好，我是XX供热公司的工作人员，为您提供测温或维修等服务。"),
]


def install_default_phrases(forbidden_model, standard_model) -> None:
    for text in FORBIDDEN_PHRASES:
        forbidden_model.objects.get_or_create(text=text)
    for position, (situation, text) in enumerate(STANDARD_PHRASES):
        standard_model.objects.get_or_create(
            situation=situation, defaults={"text": text, "position": position}
        )
