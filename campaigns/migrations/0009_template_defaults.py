"""The templates stmails ships (listmonk ships the same three): the default
campaign layout, the archive layout and a sample transactional mail.

Written in the Django dialect the renderer has always understood. Existing
campaigns keep their template unset, so they render exactly as before; new
campaigns get the default. The bodies are frozen here on purpose: a later
change to the shipped layout is a new migration, never an edit of this one.
"""

from django.db import migrations

FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"

# Table-based, 600 px wide, inline styles (Gmail drops <style> in some
# clients), a <style> block for the narrow-screen rule, and an MSO wrapper so
# Outlook on Windows keeps the width.
LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="x-apple-disable-message-reformatting">
<title>{{ campaign.subject }}</title>
<style>
  body { margin: 0; padding: 0; background-color: #f3f4f6; }
  .content img { max-width: 100%; height: auto; }
  .content a { color: #1d4ed8; }
  .content h1, .content h2, .content h3 { line-height: 1.3; margin: 0 0 12px; }
  @media only screen and (max-width: 620px) {
    .container { width: 100% !important; }
    .pad { padding-left: 16px !important; padding-right: 16px !important; }
  }
</style>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
  <tr>
    <td align="center" style="padding:24px 8px;">
      <!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
      <table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;">
        {% if site_name %}<tr>
          <td class="pad" style="padding:8px 32px 16px;font-family:FONT;font-size:20px;font-weight:bold;color:#111827;">{{ site_name }}</td>
        </tr>{% endif %}
        <tr>
          <td class="pad content" style="background-color:#ffffff;border-radius:6px;padding:32px;font-family:FONT;font-size:16px;line-height:1.6;color:#111827;">
{{ content }}
          </td>
        </tr>
FOOTER      </table>
      <!--[if mso]></td></tr></table><![endif]-->
    </td>
  </tr>
</table>
</body>
</html>
"""

LINK = 'style="color:#6b7280;text-decoration:underline;"'
FOOTER = f"""        <tr>
          <td class="pad" align="center" style="padding:24px 32px;font-family:FONT;font-size:13px;line-height:1.6;color:#6b7280;text-align:center;">
            <a href="{{{{ unsubscribe_url }}}}" {LINK}>Unsubscribe</a>
            {{% if manage_url %}}&nbsp;&middot;&nbsp;<a href="{{{{ manage_url }}}}" {LINK}>Manage preferences</a>{{% endif %}}
            {{% if message_url %}}&nbsp;&middot;&nbsp;<a href="{{{{ message_url }}}}" {LINK}>View in browser</a>{{% endif %}}
          </td>
        </tr>
"""

CAMPAIGN = LAYOUT.replace("FOOTER", FOOTER).replace("FONT", FONT)
# The archive page is public: no subscriber links in it.
ARCHIVE = LAYOUT.replace("FOOTER", "").replace("FONT", FONT)
TX_SUBJECT = "Your order {{ tx_data.order_id }}"
TX_BODY = """<p>Hello {{ subscriber.name }},</p>
<p><strong>Order number:</strong> {{ tx_data.order_id }}</p>
<p><strong>Shipping date:</strong> {{ tx_data.shipping_date }}</p>
<p>Thank you for your order.</p>
"""

DEFAULTS = [
    {"name": "Default campaign template", "type": "campaign", "body": CAMPAIGN, "is_default": True},
    {"name": "Default archive template", "type": "campaign", "body": ARCHIVE},
    {"name": "Sample transactional template", "type": "tx", "subject": TX_SUBJECT, "body": TX_BODY},
]  # fmt: skip


def add_defaults(apps, schema_editor):
    Template = apps.get_model("campaigns", "Template")
    if Template.objects.exists():
        return  # an admin's templates are already there
    for fields in DEFAULTS:
        Template.objects.create(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0008_tracking"),
    ]

    operations = [
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
    ]
