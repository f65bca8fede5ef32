"""mrkdwn as Slack formats it (https://api.slack.com/reference/surfaces/formatting), drawn as
HTML that no message text can break out of."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.slack.web.mrkdwn import Names, render_markdown, render_mrkdwn, render_plain

from .dom import Element, parse

NAMES = Names(
    users={"U0ALICE01": "alice", "U0LKUBOT0": "lkubot"},
    channels={"C0PRODOPS": "prod-ops"},
    usergroups={"S0AIXAPPR": "aix-approvers"},
)

SAFE_TAGS = {"b", "i", "s", "code", "pre", "blockquote", "span", "a", "time"}
SAFE_ATTRS = {"class", "href", "target", "rel"}


def shown(text: str) -> Element:
    return parse(render_mrkdwn(text, NAMES))


def test_bold_italic_strike_and_code() -> None:
    root = shown("*LU-17* is _approved_, ~pending~ `geninstall -k -p`")
    assert root.one("b").text == "LU-17"
    assert root.one("i").text == "approved"
    assert root.one("s").text == "pending"
    assert root.one("code").text == "geninstall -k -p"
    assert root.text == "LU-17 is approved, pending geninstall -k -p"


@pytest.mark.parametrize(
    "text",
    ["update_all and bos.rte_x_y", "2*3*4", "a ~ b ~ c", "* not bold *", "_ spaced _"],
)
def test_markers_inside_words_or_next_to_spaces_stay_text(text: str) -> None:
    root = shown(text)
    assert not root.all("b")
    assert not root.all("i")
    assert not root.all("s")
    assert root.text == text


def test_styles_nest_and_span_mentions() -> None:
    root = shown("*_both_* and *approved by <@U0ALICE01>*")
    assert root.all("b")[0].one("i").text == "both"
    assert root.all("b")[1].text == "approved by @alice"


def test_no_formatting_inside_code() -> None:
    root = shown("`*not bold* <@U0ALICE01>`")
    assert not root.all("b")
    assert not root.all("span")
    assert root.one("code").text == "*not bold* <@U0ALICE01>"


def test_preformatted_block_keeps_lines_and_skips_formatting() -> None:
    root = shown("Preview:\n```\n1430-246 *HMC* token\n  missing &lt;hmcauth&gt;\n```\nFix it.")
    pre = root.one("pre")
    assert pre.text == "1430-246 *HMC* token\n  missing <hmcauth>"
    assert root.text == "Preview:" + pre.text + "Fix it."


def test_quotes_join_consecutive_lines() -> None:
    root = shown("> first *line*\n&gt; second\nafter")
    quote = root.one("blockquote")
    assert quote.text == "first line\nsecond"
    assert quote.one("b").text == "line"
    assert root.text.endswith("after")


def test_mentions_show_names() -> None:
    root = shown(
        "<@U0ALICE01> <@U0NOBODY1> <@U0NOBODY2|dave> <#C0PRODOPS> <#C0OTHER01|other> "
        "<!subteam^S0AIXAPPR> <!subteam^S0OTHER01|@dba> <!here> <!channel>"
    )
    mentions = [m.text for m in root.all("span", "sk-mention")]
    assert mentions == [
        "@alice",
        "@U0NOBODY1",
        "@dave",
        "#prod-ops",
        "#other",
        "@aix-approvers",
        "@dba",
        "@here",
        "@channel",
    ]


def test_links_keep_only_web_and_mail_addresses() -> None:
    root = shown(
        "<https://www.ibm.com/docs?a=1&amp;b=2|IBM docs> <http://hmc01.example> "
        "<mailto:aix@example.com> <javascript:alert(1)|click me> <file:///etc/passwd>"
    )
    links = root.all("a")
    assert [(a.attrs["href"], a.text) for a in links] == [
        ("https://www.ibm.com/docs?a=1&b=2", "IBM docs"),
        ("http://hmc01.example", "http://hmc01.example"),
        ("mailto:aix@example.com", "aix@example.com"),
    ]
    assert all(a.attrs["rel"] == "noopener noreferrer" for a in links)
    assert "click me" in root.text
    assert "file:///etc/passwd" in root.text


def test_dates_show_their_fallback() -> None:
    root = shown("Expires <!date^1738141200^{date_short} {time}|Jan 29, 09:00 UTC>")
    assert root.one("time").text == "Jan 29, 09:00 UTC"


def test_entities_are_shown_as_characters() -> None:
    root = shown("a &lt;b&gt; &amp;&amp; c &amp;lt; d")
    assert not root.all("b")
    assert root.text == "a <b> && c &lt; d"


def test_emoji_shortcodes_the_bot_uses_are_drawn_and_others_stay() -> None:
    root = shown(":white_check_mark: passed :warning: warn :x: failed :lkubot-custom:")
    assert root.text == "\u2705 passed \u26a0\ufe0f warn \u274c failed :lkubot-custom:"


def test_plain_text_has_emoji_but_no_formatting() -> None:
    assert parse(render_plain("*LU-17* <b> :rocket:")).text == "*LU-17* <b> \U0001f680"
    assert parse(render_plain(":rocket:", emoji=False)).text == ":rocket:"


def test_markdown_block_translates_to_the_same_look() -> None:
    root = parse(
        render_markdown(
            "# Summary\n**Blackout** *21 s*, see [the log](https://x.example) `**`", NAMES
        )
    )
    assert [b.text for b in root.all("b")] == ["Summary", "Blackout"]
    assert root.one("i").text == "21 s"
    assert root.one("a").attrs["href"] == "https://x.example"
    assert root.one("code").text == "**"


def test_markdown_block_text_is_literal_markup() -> None:
    root = parse(render_markdown("<script>alert(1)</script> & <@U0ALICE01>", NAMES))
    assert not root.all("span")
    assert not root.all("a")
    assert root.text == "<script>alert(1)</script> & <@U0ALICE01>"


PIECES = [
    *"<>&\"'`*_~:|@#!^/\n x0",
    *["&lt;", "&gt;", "&amp;", "javascript:", "http://", "mailto:", "script", "img"],
    *["onerror=", "U0ALICE01", "white_check_mark", "subteam", "date", "\ue000", "\ue001"],
]


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*~*~", "<b>~</b>~"),
        ("*_both_*", "<b><i>both</i></b>"),
        ("_~x~_ y", "<i><s>x</s></i> y"),
        ("*a ~b* c~", "<b>a ~b</b> c~"),
    ],
)
def test_styles_always_nest(text: str, html: str) -> None:
    assert str(render_mrkdwn(text, NAMES)) == html


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_no_text_can_inject_markup(text: str) -> None:
    for rendered in (render_mrkdwn(text, NAMES), render_markdown(text, NAMES), render_plain(text)):
        root = parse(rendered)
        for element in root.all():
            assert element.tag in SAFE_TAGS, f"{element.tag} from {text!r}"
            assert set(element.attrs) <= SAFE_ATTRS, f"{element.attrs} from {text!r}"
            href = element.attrs.get("href")
            assert href is None or href.startswith(("http://", "https://", "mailto:"))
