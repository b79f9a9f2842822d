from search.highlight import highlight


def test_the_longest_word_at_a_position_is_marked_and_everything_is_escaped():
    snippet = highlight("办理<营业执照>需要营业场所证明", ["营业", "营业执照", "场所", "zz"])
    # Adjacent marks join into one.
    assert snippet == "办理&lt;<mark>营业执照</mark>&gt;需要<mark>营业场所</mark>证明"


def test_marks_cover_whole_words_and_never_a_lone_character():
    # 执照 lies inside the word 营业执照, which is marked whole; 证 and 开 are single characters.
    snippet = highlight("开办个体工商户须领取营业执照，并办理许可证", ["执照", "证", "开", "个体工商户"])
    assert snippet == "开办<mark>个体工商户</mark>须领取<mark>营业执照</mark>，并办理许可证"
    # A one-character query marks the word that holds it.
    assert highlight("办证须知", ["证"], single_characters=True) == "<mark>办证</mark>须知"


def test_the_window_starts_near_the_first_match():
    text = "甲" * 200 + "居住证" + "乙" * 200
    snippet = highlight(text, ["居住证"], length=40)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>居住证</mark>" in snippet and len(snippet.replace("<mark>", "").replace("</mark>", "")) == 42


def test_no_words_gives_the_escaped_start_of_the_text():
    assert highlight("<b>说明</b>", ["abc"]) == "&lt;b&gt;说明&lt;/b&gt;"
