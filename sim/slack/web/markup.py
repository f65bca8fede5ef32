"""Block Kit drawn as HTML for the browser page: the blocks and elements `sim.slack.blockkit`
accepts, laid out like Slack lays them out.

Interactive elements carry what the page's script needs to act as the user:
`data-action-id` (and `data-value` on buttons and options) for elements that send
`block_actions`, a `<template class="sk-confirm">` beside any element with a `confirm` dialog,
and `name="BLOCK_ID/ACTION_ID"` on the inputs of a modal, which are read on submit. Which
message or modal the element sits in is said by the container the page wraps around the
blocks (`data-source`).

The emulator can send the actions of buttons, static selects, overflow menus and radio buttons
(`sim.slack.payloads`); other elements outside an input block are drawn disabled, saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from sim.slack.web.mrkdwn import Names, render_markdown, render_mrkdwn, render_plain

Json = dict[str, Any]

_CLICKABLE = {"button", "static_select", "overflow", "radio_buttons"}
_NOT_SENT = "The emulator cannot send this element's actions."


def render_text(text: Json | None, names: Names) -> Markup:
    """A text object (plain_text or mrkdwn); nothing for None."""
    if not text:
        return Markup("")
    if text.get("type") == "mrkdwn":
        return render_mrkdwn(str(text.get("text", "")), names)
    return render_plain(str(text.get("text", "")), emoji=text.get("emoji", True) is not False)


def render_blocks(blocks: list[Json], names: Names) -> Markup:
    """A message's or a modal's blocks, in order."""
    return Markup("").join(_render_block(block, names) for block in blocks)


def render_message_body(text: str, blocks: list[Json], names: Names) -> Markup:
    """What Slack shows of a message: its blocks, or its text as mrkdwn when it has none."""
    if blocks:
        return render_blocks(blocks, names)
    return _tag("div", "sk-text", render_mrkdwn(text, names))


def _render_block(block: Json, names: Names) -> Markup:
    kind = str(block.get("type"))
    draw = _BLOCKS.get(kind)
    if draw is None:
        return Markup(
            '<div class="sk-block sk-unknown">A {} block, which the page does not draw.</div>'
        ).format(kind)
    return draw(block, names)


def _tag(tag: str, css: str, content: Markup) -> Markup:
    return Markup('<{} class="{}">{}</{}>').format(tag, css, content, tag)


def _text_in(tag: str, css: str, text: Json | None, names: Names) -> Markup:
    """A text object in an element of its own, or nothing when the block has none."""
    return _tag(tag, css, render_text(text, names)) if text else Markup("")


def _header(block: Json, names: Names) -> Markup:
    return _text_in("div", "sk-block sk-header", block.get("text"), names)


def _section(block: Json, names: Names) -> Markup:
    body = _text_in("div", "sk-text", block.get("text"), names)
    fields = block.get("fields") or []
    if fields:
        body += _tag(
            "div",
            "sk-fields",
            Markup("").join(_text_in("div", "sk-field", f, names) for f in fields),
        )
    accessory = block.get("accessory")
    side = _tag("div", "sk-accessory", _action_element(accessory, names)) if accessory else ""
    return Markup(
        '<div class="sk-block sk-section"><div class="sk-section-body">{}</div>{}</div>'
    ).format(body, side)


def _divider(block: Json, names: Names) -> Markup:
    return Markup('<hr class="sk-block sk-divider">')


def _context(block: Json, names: Names) -> Markup:
    parts = [
        _image_link(element, "sk-context-image")
        if element.get("type") == "image"
        else _text_in("span", "sk-context-text", element, names)
        for element in block.get("elements", [])
    ]
    return _tag("div", "sk-block sk-context", Markup("").join(parts))


def _actions(block: Json, names: Names) -> Markup:
    return _tag(
        "div",
        "sk-block sk-actions",
        Markup("").join(_action_element(e, names) for e in block.get("elements", [])),
    )


def _input(block: Json, names: Names) -> Markup:
    element = block.get("element") or {}
    field = f"{block.get('block_id', '')}/{element.get('action_id', '')}"
    optional = bool(block.get("optional"))
    label = Markup('<label class="sk-label" for="{}">{}{}</label>').format(
        field,
        render_text(block.get("label"), names),
        Markup(' <span class="sk-optional">(optional)</span>') if optional else "",
    )
    return Markup(
        '<div class="sk-block sk-input" data-block-id="{}">{}{}{}'
        '<div class="sk-input-error" role="alert" hidden></div></div>'
    ).format(
        block.get("block_id", ""),
        label,
        _input_element(element, field, required=not optional, names=names),
        _text_in("div", "sk-hint", block.get("hint"), names),
    )


def _image(block: Json, names: Names) -> Markup:
    return _tag(
        "figure",
        "sk-block sk-image",
        _image_link(block, "sk-image-link")
        + _text_in("figcaption", "sk-caption", block.get("title"), names),
    )


def _markdown(block: Json, names: Names) -> Markup:
    return _tag(
        "div", "sk-block sk-markdown sk-text", render_markdown(str(block.get("text", "")), names)
    )


_BLOCKS: dict[str, Callable[[Json, Names], Markup]] = {
    "header": _header,
    "section": _section,
    "divider": _divider,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
    "markdown": _markdown,
}


def _image_link(element: Json, css: str) -> Markup:
    """The offline world fetches no pictures from the internet: an image is its alt text,
    linked to its address."""
    alt = str(element.get("alt_text", "image"))
    url = str(element.get("image_url", ""))
    if url.lower().startswith(("http://", "https://")):
        return Markup(
            '<a class="{}" href="{}" target="_blank" rel="noopener noreferrer" title="{}">'
            "\U0001f5bc {}</a>"
        ).format(css, url, url, alt)
    return Markup('<span class="{}">\U0001f5bc {}</span>').format(css, alt)


# --- elements that send block_actions ------------------------------------------------------


def _action_element(element: Json, names: Names) -> Markup:
    kind = str(element.get("type"))
    if kind == "image":
        return _image_link(element, "sk-accessory-image")
    if kind not in _CLICKABLE:
        # Shown as Slack would show it, but inert: clicking would promise an action never sent.
        return Markup('<span class="sk-element sk-inert" title="{}">{}</span>').format(
            _NOT_SENT, _input_element(element, "", required=False, names=names, disabled=True)
        )
    action_id = str(element.get("action_id", ""))
    confirm = _confirm(element.get("confirm"), names)
    if kind == "button":
        control = _button(element, names)
    elif kind == "static_select":
        control = Markup('<select class="sk-select" data-action-id="{}">{}{}</select>').format(
            action_id,
            _placeholder_option(element, names),
            _options_html(element, names, chosen=_initial_values(element)),
        )
    elif kind == "overflow":
        control = _overflow(element, names)
    else:
        control = _radios(element, names, action_id=action_id)
    return Markup('<span class="sk-element">{}{}</span>').format(control, confirm)


def _button(element: Json, names: Names) -> Markup:
    style = element.get("style")
    css = f"sk-button sk-{style}" if style in ("primary", "danger") else "sk-button"
    url = element.get("url")
    link = Markup(' data-url="{}"').format(url) if isinstance(url, str) and _is_web(url) else ""
    return Markup(
        '<button type="button" class="{}" data-action-id="{}" data-value="{}"{}>{}</button>'
    ).format(
        css,
        element.get("action_id", ""),
        element.get("value", ""),
        link,
        render_text(element.get("text"), names),
    )


def _overflow(element: Json, names: Names) -> Markup:
    items = Markup("").join(
        Markup(
            '<li><button type="button" class="sk-overflow-option" data-value="{}">{}</button></li>'
        ).format(option.get("value", ""), render_text(option.get("text"), names))
        for option in element.get("options", [])
    )
    return Markup(
        '<details class="sk-overflow" data-action-id="{}"><summary class="sk-button" '
        'aria-label="More actions">\u22ef</summary><ul class="sk-menu">{}</ul></details>'
    ).format(element.get("action_id", ""), items)


def _confirm(confirm: Json | None, names: Names) -> Markup:
    """A confirmation dialog, kept inert in a template until the page opens it."""
    if not confirm:
        return Markup("")
    return Markup(
        '<template class="sk-confirm" data-confirm="{}" data-deny="{}" data-style="{}">'
        '<h2 class="sk-dialog-title">{}</h2><div class="sk-text">{}</div></template>'
    ).format(
        _label(confirm.get("confirm"), "Yes"),
        _label(confirm.get("deny"), "Cancel"),
        confirm.get("style") or "",
        render_text(confirm.get("title"), names),
        render_text(confirm.get("text"), names),
    )


def _label(text: Json | None, default: str) -> str:
    return str(text.get("text", default)) if text else default


# --- inputs: what a modal submits, and how other elements look --------------------------------


def _input_element(
    element: Json, field: str, *, required: bool, names: Names, disabled: bool = False
) -> Markup:
    kind = str(element.get("type"))
    named = Markup(' name="{}" id="{}"').format(field, field) if field else Markup("")
    common = Markup("{}{}{}").format(
        named, Markup(" required") if required else "", Markup(" disabled") if disabled else ""
    )
    placeholder = element.get("placeholder")
    hint = Markup(' placeholder="{}"').format(placeholder.get("text", "")) if placeholder else ""
    if kind == "plain_text_input":
        limits = _length_limits(element)
        if element.get("multiline"):
            return Markup('<textarea class="sk-field-input" rows="4"{}{}{}>{}</textarea>').format(
                common, hint, limits, element.get("initial_value", "")
            )
        return Markup('<input type="text" class="sk-field-input" value="{}"{}{}{}>').format(
            element.get("initial_value", ""), common, hint, limits
        )
    if kind == "number_input":
        step = "any" if element.get("is_decimal_allowed") else "1"
        bounds = Markup("").join(
            Markup(' {}="{}"').format(attr, element[key])
            for attr, key in (("min", "min_value"), ("max", "max_value"))
            if element.get(key) is not None
        )
        return Markup(
            '<input type="number" class="sk-field-input" step="{}" value="{}"{}{}{}>'
        ).format(step, element.get("initial_value", ""), common, hint, bounds)
    if kind == "datepicker":
        return Markup('<input type="date" class="sk-field-input" value="{}"{}>').format(
            element.get("initial_date", ""), common
        )
    if kind in ("static_select", "users_select", "conversations_select"):
        return Markup('<select class="sk-select sk-field-input"{}>{}{}</select>').format(
            common,
            _placeholder_option(element, names),
            _options_html(element, names, chosen=_initial_values(element)),
        )
    if kind in ("checkboxes", "radio_buttons"):
        return _choices(element, names, field=field, disabled=disabled)
    return Markup(
        '<span class="sk-unknown">A {} element, which the page does not draw.</span>'
    ).format(kind)


def _length_limits(element: Json) -> Markup:
    return Markup("").join(
        Markup(' {}="{}"').format(attr, element[key])
        for attr, key in (("minlength", "min_length"), ("maxlength", "max_length"))
        if element.get(key) is not None
    )


def _placeholder_option(element: Json, names: Names) -> Markup:
    placeholder = element.get("placeholder")
    shown = render_text(placeholder, names) if placeholder else Markup("Select an option")
    selected = Markup("") if _initial_values(element) else Markup(" selected")
    return Markup('<option value="" disabled{}>{}</option>').format(selected, shown)


def _choice_list(element: Json, names: Names) -> list[tuple[str | None, list[Json]]]:
    """The options of a select, grouped as Slack groups them (label None: no group)."""
    kind = element.get("type")
    if kind == "users_select":
        return [(None, [_option(uid, f"@{name}") for uid, name in names.users.items()])]
    if kind == "conversations_select":
        return [(None, [_option(cid, f"#{name}") for cid, name in names.channels.items()])]
    if element.get("option_groups"):
        return [
            (_label(group.get("label"), ""), list(group.get("options", [])))
            for group in element["option_groups"]
        ]
    return [(None, list(element.get("options", [])))]


def _option(value: str, text: str) -> Json:
    return {"value": value, "text": {"type": "plain_text", "text": text}}


def _options_html(element: Json, names: Names, *, chosen: set[str]) -> Markup:
    def options(items: list[Json]) -> Markup:
        return Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                o.get("value", ""),
                Markup(" selected") if o.get("value") in chosen else "",
                # An <option> holds text only, so its label loses any formatting.
                render_text(o.get("text"), names).striptags(),
            )
            for o in items
        )

    return Markup("").join(
        options(items)
        if label is None
        else Markup('<optgroup label="{}">{}</optgroup>').format(label, options(items))
        for label, items in _choice_list(element, names)
    )


def _initial_values(element: Json) -> set[str]:
    kind = element.get("type")
    if kind == "users_select":
        return {element["initial_user"]} if element.get("initial_user") else set()
    if kind == "conversations_select":
        initial = element.get("initial_conversation")
        return {initial} if initial else set()
    if kind == "checkboxes":
        return {o.get("value", "") for o in element.get("initial_options") or []}
    initial_option = element.get("initial_option")
    return {initial_option.get("value", "")} if initial_option else set()


def _choices(element: Json, names: Names, *, field: str, disabled: bool) -> Markup:
    """Checkboxes or radio buttons inside a modal's input block (or inert elsewhere)."""
    kind = "checkbox" if element.get("type") == "checkboxes" else "radio"
    chosen = _initial_values(element)
    return Markup('<div class="sk-choices" data-field="{}">{}</div>').format(
        field,
        Markup("").join(
            _choice(
                kind, field, option, names, checked=option.get("value") in chosen, disabled=disabled
            )
            for option in element.get("options", [])
        ),
    )


def _radios(element: Json, names: Names, *, action_id: str) -> Markup:
    """Radio buttons that send block_actions as soon as one is chosen. The page puts each
    message in its own form, which keeps same-named groups of two messages apart."""
    chosen = _initial_values(element)
    return Markup('<div class="sk-choices" data-action-id="{}">{}</div>').format(
        action_id,
        Markup("").join(
            _choice("radio", action_id, option, names, checked=option.get("value") in chosen)
            for option in element.get("options", [])
        ),
    )


def _choice(
    kind: str, name: str, option: Json, names: Names, *, checked: bool, disabled: bool = False
) -> Markup:
    return Markup(
        '<label class="sk-choice"><input type="{}" name="{}" value="{}"{}{}>'
        '<span class="sk-choice-text">{}{}</span></label>'
    ).format(
        kind,
        name,
        option.get("value", ""),
        Markup(" checked") if checked else "",
        Markup(" disabled") if disabled else "",
        render_text(option.get("text"), names),
        _text_in("span", "sk-hint", option.get("description"), names),
    )


def _is_web(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))
