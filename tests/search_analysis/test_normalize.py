from search.analysis.normalize import load_t2s_table, normalize, to_simplified


def test_full_width_ascii_becomes_half_width_lower_case():
    assert normalize("ＹＹＺＺ") == "yyzz"
    assert normalize("１２３４５热线") == "12345热线"
    assert normalize("ＡＢＣ－１２３") == "abc-123"


def test_full_width_punctuation_and_ideographic_space():
    assert normalize("营业执照（副本）\u3000办理") == "营业执照(副本) 办理"


def test_traditional_to_simplified():
    assert normalize("營業執照") == "营业执照"
    assert normalize("個體工商戶營業執照註銷") == "个体工商户营业执照注销"
    assert normalize("關於辦理護照與戶口遷移") == "关于办理护照与户口迁移"
    assert to_simplified("證照") == "证照"


def test_characters_valid_in_simplified_text_are_left_alone():
    # 著 (著名), 乾 (乾隆), 覆 (覆盖) are also simplified characters.
    assert normalize("著名乾隆覆盖") == "著名乾隆覆盖"


def test_t2s_table_is_idempotent_and_large_enough():
    table = load_t2s_table()
    assert len(table) > 3000
    assert not any(ord(v) in table for v in table.values())
    for trad, simp in [("證", "证"), ("執", "执"), ("營", "营"), ("業", "业"), ("護", "护"),
                       ("戶", "户"), ("辦", "办"), ("險", "险"), ("醫", "医"), ("稅", "税")]:
        assert table[ord(trad)] == simp


def test_control_and_format_characters():
    assert normalize("营业\u200b执照") == "营业执照"  # zero-width space removed
    assert normalize("\ufeff营业执照\u202e") == "营业执照"  # BOM, bidi override
    assert normalize("营业\x00执照\t注销\r\n") == "营业 执照 注销"
    assert normalize("a\ud800b") == "ab"  # lone surrogate
    assert normalize("\ue000私用") == "私用"


def test_whitespace_is_collapsed_and_stripped():
    assert normalize("  营业   执照 \n\n 注销  ") == "营业 执照 注销"


def test_non_strings():
    assert normalize(None) == ""
    assert normalize(12345) == "12345"
    assert normalize("") == ""


def test_idempotent_on_examples():
    for text in ["ＹＹＺＺ營業執照", "①㈠ﬁ", "İstanbul", "薴麻", "Ａ\u3000Ｂ"]:
        once = normalize(text)
        assert normalize(once) == once
