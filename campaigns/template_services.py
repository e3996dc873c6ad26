"""Template writes shared by the API (/api/templates) and the template pages.

Every rule lives here so both entry points report the same thing: a syntax
error names the line and the expression (400), an unknown id is 404, a
template campaigns use cannot be deleted (409, naming them), the default
cannot be deleted (400) and only a campaign template can be the default.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, Q
from django.template import TemplateSyntaxError

from campaigns.errors import CampaignError
from campaigns.models import Campaign, Template
from campaigns.rendering import (
    MailLinks,
    Renderer,
    TemplateError,
    build_context,
    check_template,
)
from stmails import config
from stmails.lib.input_checks import InvalidInput, bad_character, parse_id

T = Template.Type
# The body a template preview wraps (listmonk previews with lorem ipsum too).
SAMPLE_BODY = """<h1>A sample campaign</h1>
<p>Hi {{ subscriber.name }}, this is how a campaign's content sits in the
template. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Duis et
elit ac elit sollicitudin condimentum non a magna.</p>
<h2>A sub heading</h2>
<p>Sed tempor mauris in facilisis vehicula. Here is
<a href="https://example.com">a link</a>.</p>
<ul><li>One point</li><li>Another point</li></ul>"""
SAMPLE_SUBSCRIBER = {
    "name": "Sample Subscriber",
    "email": "sample@example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "attribs": {"city": "Bengaluru"},
    "status": "enabled",
}
SAMPLE_TX_DATA = {"order_id": "1234", "shipping_date": "2030-01-31"}


def get_template(pk: Any, *, field: str = "id") -> Template:
    """The template with this id; CampaignError 404 when there is none."""
    try:
        pk = parse_id(pk, field)
    except InvalidInput as err:
        raise CampaignError(field, err.message) from None
    found = Template.objects.filter(pk=pk).first()
    if found is None:
        raise CampaignError(field, f"template {pk} not found", status=404)
    return found


def layout_template(raw: Any, field: str) -> Template | None:
    """A campaign's template_id / archive_template_id: None, or a campaign
    (or visual campaign) template."""
    if raw in (None, "", 0, "0"):
        return None
    template = get_template(raw, field=field)
    if template.type == T.TX:
        raise CampaignError(field, f"template {template.pk} is a transactional one")
    return template


def default_template() -> Template | None:
    return Template.objects.filter(is_default=True).first()


def syntax_error(field: str, err: Exception) -> CampaignError:
    """A TemplateError (line, expression) or Django's syntax error, as a 400."""
    if not isinstance(err, TemplateError):
        err = TemplateError(str(err))
    return CampaignError(field, f"template error: {err}")


def _check(source: str, field: str, kind: str) -> None:
    try:
        check_template(source, kind=kind)
    except (TemplateError, TemplateSyntaxError) as err:
        raise syntax_error(field, err) from None


def clean_template_fields(
    data: dict[str, Any], *, current: Template | None = None
) -> dict[str, Any]:
    """Validated fields for create (current None) or update (absent keys keep
    the current value)."""
    merged = {
        "name": current.name if current else None,
        "type": current.type if current else T.CAMPAIGN,
        "subject": current.subject if current else "",
        "body": current.body if current else "",
        "body_source": current.body_source if current else None,
    }
    for key in merged:
        if key in data:
            merged[key] = data[key]
    for key in ("name", "type", "subject", "body"):
        if merged[key] is None:
            merged[key] = ""
        if not isinstance(merged[key], str):
            raise CampaignError(key, "must be a string")
    if merged["body_source"] is not None and not isinstance(merged["body_source"], str):
        raise CampaignError("body_source", "must be a string or null")
    for key, value in merged.items():
        if value and (problem := bad_character(value)):
            raise CampaignError(key, problem)
    name = merged["name"].strip()
    if not name:
        raise CampaignError("name", "is required")
    if len(name) > 500:
        raise CampaignError("name", "must be at most 500 characters")
    kind = merged["type"] or T.CAMPAIGN
    if kind not in T.values:
        raise CampaignError("type", f"must be one of {', '.join(T.values)}")
    if current is not None and kind != current.type:
        if current.is_default:
            raise CampaignError(
                "type", "the default template stays a campaign template"
            )
        if kind == T.TX and current.campaigns.exists():
            raise CampaignError("type", "campaigns use this template")
    subject = merged["subject"].strip()
    if kind == T.TX:
        if not subject:
            raise CampaignError("subject", "is required for a transactional template")
        if len(subject) > 1000:
            raise CampaignError("subject", "must be at most 1000 characters")
        _check(subject, "subject", "subject")
    else:
        subject = ""  # a campaign's subject is its own (listmonk clears it too)
    body = merged["body"]
    if not body.strip():
        raise CampaignError("body", "is required")
    # kind "campaign" also checks the body is placed exactly once.
    _check(body, "body", kind)
    return {
        "name": name,
        "type": kind,
        "subject": subject,
        "body": body,
        "body_source": merged["body_source"],
    }


# --- writes -----------------------------------------------------------------------


def create_template(data: dict[str, Any]) -> Template:
    return Template.objects.create(**clean_template_fields(data))


@transaction.atomic
def update_template(template: Template, data: dict[str, Any]) -> Template:
    template = Template.objects.select_for_update().get(pk=template.pk)
    for name, value in clean_template_fields(data, current=template).items():
        setattr(template, name, value)
    template.save()
    return template


def clone_template(template: Template, name: Any = "") -> Template:
    if name is not None and not isinstance(name, str):
        raise CampaignError("name", "must be a string")
    name = (name or "").strip() or f"Copy of {template.name}"
    if problem := bad_character(name):
        raise CampaignError("name", problem)
    return Template.objects.create(
        name=name[:500],
        type=template.type,
        subject=template.subject,
        body=template.body,
        body_source=template.body_source,
    )


@transaction.atomic
def set_default_template(template: Template) -> Template:
    """Make `template` the one default; concurrent calls end with exactly one.

    Locking every campaign template (in id order, so two callers never
    deadlock) serializes callers: the second waits, then sees the first's
    default and replaces it instead of colliding with the unique index.
    """
    list(Template.objects.select_for_update().filter(type=T.CAMPAIGN).order_by("id"))
    template = Template.objects.get(pk=template.pk)
    if not template.can_be_default():
        raise CampaignError("type", "only a campaign template can be the default")
    Template.objects.filter(is_default=True).exclude(pk=template.pk).update(
        is_default=False
    )
    Template.objects.filter(pk=template.pk).update(is_default=True)
    template.refresh_from_db()
    return template


def campaigns_using(template: Template) -> list[Campaign]:
    return list(
        Campaign.objects.filter(Q(template=template) | Q(archive_template=template))
        .order_by("id")
        .only("id", "name")
    )


@transaction.atomic
def delete_template(template: Template) -> None:
    template = Template.objects.select_for_update().get(pk=template.pk)
    if template.is_default:
        raise CampaignError("id", "the default template cannot be deleted")
    using = campaigns_using(template)
    if using:
        names = ", ".join(f"{c.name} (#{c.pk})" for c in using[:5])
        more = f" and {len(using) - 5} more" if len(using) > 5 else ""
        raise CampaignError("id", f"in use by campaign(s) {names}{more}", status=409)
    try:
        template.delete()
    except ProtectedError:  # a campaign chose it since the check above
        raise CampaignError("id", "in use by a campaign", status=409) from None


# --- previews ---------------------------------------------------------------------


def render_template_preview(body: Any, kind: Any, subject: Any = "") -> str:
    """The HTML of a (possibly unsaved) template, wrapping a sample campaign or,
    for tx, filled with sample data. CampaignError 400 on any template error."""
    kind = kind or T.CAMPAIGN
    if kind not in T.values:
        raise CampaignError("template_type", f"must be one of {', '.join(T.values)}")
    if not isinstance(body, str) or not body.strip():
        raise CampaignError("body", "is required")
    if not isinstance(subject, str):
        subject = ""
    _check(body, "body", kind)
    if kind == T.TX:
        _check(subject, "subject", "subject")
        args = {"content_type": "html", "body": body, "subject": subject}
    else:
        args = {"content_type": "html", "body": SAMPLE_BODY, "template": body}
    context = build_context(
        SAMPLE_SUBSCRIBER,
        {"uuid": SAMPLE_SUBSCRIBER["uuid"], "name": "Sample campaign",
         "subject": "A sample campaign", "from_email": "news@example.com"},
        tx_data=SAMPLE_TX_DATA,
        site_name=config.get_value("app.site_name"),
        links=MailLinks(unsubscribe="#unsubscribe", message="#view"),
    )  # fmt: skip
    try:
        return Renderer(**args).render(context).html
    except (TemplateError, TemplateSyntaxError) as err:
        # The editor's body is the Renderer's "template" part (or, for tx,
        # its "body"); only a tx subject is another field.
        field = "subject" if getattr(err, "part", "") == "subject" else "body"
        raise syntax_error(field, err) from None
