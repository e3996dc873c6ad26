"""listmonk-shaped schemas for the import tests, written from
/work/shared/specs/listmonk-schema.md: v6 (the v6.2 line) and v3, which lacks
lists.status, campaigns.body_source/attribs, templates.body_source, the visual
types and the users tables."""

from __future__ import annotations

V6_TYPES = """
CREATE TYPE list_type AS ENUM ('public', 'private', 'temporary');
CREATE TYPE list_optin AS ENUM ('single', 'double');
CREATE TYPE list_status AS ENUM ('active', 'archived');
CREATE TYPE subscriber_status AS ENUM ('enabled', 'disabled', 'blocklisted');
CREATE TYPE subscription_status AS ENUM ('unconfirmed', 'confirmed', 'unsubscribed');
CREATE TYPE campaign_status AS ENUM ('draft', 'running', 'scheduled', 'paused', 'cancelled', 'finished');
CREATE TYPE campaign_type AS ENUM ('regular', 'optin');
CREATE TYPE content_type AS ENUM ('richtext', 'html', 'plain', 'markdown', 'visual');
CREATE TYPE bounce_type AS ENUM ('soft', 'hard', 'complaint');
CREATE TYPE template_type AS ENUM ('campaign', 'campaign_visual', 'tx');
"""

V3_TYPES = """
CREATE TYPE list_type AS ENUM ('public', 'private', 'temporary');
CREATE TYPE list_optin AS ENUM ('single', 'double');
CREATE TYPE subscriber_status AS ENUM ('enabled', 'disabled', 'blocklisted');
CREATE TYPE subscription_status AS ENUM ('unconfirmed', 'confirmed', 'unsubscribed');
CREATE TYPE campaign_status AS ENUM ('draft', 'running', 'scheduled', 'paused', 'cancelled', 'finished');
CREATE TYPE campaign_type AS ENUM ('regular', 'optin');
CREATE TYPE content_type AS ENUM ('richtext', 'html', 'plain', 'markdown');
CREATE TYPE bounce_type AS ENUM ('soft', 'hard', 'complaint');
CREATE TYPE template_type AS ENUM ('campaign', 'tx');
"""

SUBSCRIBERS = """
CREATE TABLE subscribers (
    id SERIAL PRIMARY KEY, uuid uuid NOT NULL UNIQUE, email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, attribs JSONB NOT NULL DEFAULT '{}',
    status subscriber_status NOT NULL DEFAULT 'enabled',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
"""
# v6 has a unique index on lower(email); v3 databases may hold case-duplicates.
SUBSCRIBERS_LOWER_UNIQUE = (
    "CREATE UNIQUE INDEX idx_subs_email ON subscribers(LOWER(email));"
)

LISTS_V6 = """
CREATE TABLE lists (
    id SERIAL PRIMARY KEY, uuid uuid NOT NULL UNIQUE, name TEXT NOT NULL,
    type list_type NOT NULL, optin list_optin NOT NULL DEFAULT 'single',
    status list_status NOT NULL DEFAULT 'active', tags VARCHAR(100)[],
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
"""
LISTS_V3 = LISTS_V6.replace("status list_status NOT NULL DEFAULT 'active', ", "")

SUBSCRIBER_LISTS = """
CREATE TABLE subscriber_lists (
    subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE ON UPDATE CASCADE,
    list_id INTEGER NULL REFERENCES lists(id) ON DELETE CASCADE ON UPDATE CASCADE,
    meta JSONB NOT NULL DEFAULT '{}',
    status subscription_status NOT NULL DEFAULT 'unconfirmed',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY(subscriber_id, list_id)
);
"""

TEMPLATES_V6 = """
CREATE TABLE templates (
    id SERIAL PRIMARY KEY, name TEXT NOT NULL, type template_type NOT NULL DEFAULT 'campaign',
    subject TEXT NOT NULL, body TEXT NOT NULL, body_source TEXT NULL,
    is_default BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE UNIQUE INDEX ON templates (is_default) WHERE is_default = true;
"""
TEMPLATES_V3 = TEMPLATES_V6.replace("body_source TEXT NULL,", "")

CAMPAIGNS_V6 = """
CREATE TABLE campaigns (
    id SERIAL PRIMARY KEY, uuid uuid NOT NULL UNIQUE, name TEXT NOT NULL,
    subject TEXT NOT NULL, from_email TEXT NOT NULL, body TEXT NOT NULL,
    body_source TEXT NULL, altbody TEXT NULL,
    content_type content_type NOT NULL DEFAULT 'richtext',
    send_at TIMESTAMPTZ NULL, headers JSONB NOT NULL DEFAULT '[]',
    attribs JSONB NOT NULL DEFAULT '{}',
    status campaign_status NOT NULL DEFAULT 'draft', tags VARCHAR(100)[],
    type campaign_type DEFAULT 'regular', messenger TEXT NOT NULL,
    template_id INTEGER REFERENCES templates(id) ON DELETE SET NULL,
    to_send INT NOT NULL DEFAULT 0, sent INT NOT NULL DEFAULT 0,
    max_subscriber_id INT NOT NULL DEFAULT 0, last_subscriber_id INT NOT NULL DEFAULT 0,
    archive BOOLEAN NOT NULL DEFAULT false, archive_slug TEXT NULL UNIQUE,
    archive_template_id INTEGER REFERENCES templates(id) ON DELETE SET NULL,
    archive_meta JSONB NOT NULL DEFAULT '{}',
    started_at TIMESTAMPTZ, created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
"""
CAMPAIGNS_V3 = CAMPAIGNS_V6.replace("body_source TEXT NULL, ", "").replace(
    "attribs JSONB NOT NULL DEFAULT '{}',\n", ""
)

REST = """
CREATE TABLE campaign_lists (
    id BIGSERIAL PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    list_id INTEGER NULL REFERENCES lists(id) ON DELETE SET NULL,
    list_name TEXT NOT NULL DEFAULT '',
    UNIQUE(campaign_id, list_id)
);
CREATE TABLE campaign_views (
    id BIGSERIAL PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subscriber_id INTEGER NULL REFERENCES subscribers(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE links (
    id SERIAL PRIMARY KEY, uuid uuid NOT NULL UNIQUE, url TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE link_clicks (
    id BIGSERIAL PRIMARY KEY,
    campaign_id INTEGER NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    subscriber_id INTEGER NULL REFERENCES subscribers(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE bounces (
    id SERIAL PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    campaign_id INTEGER NULL REFERENCES campaigns(id) ON DELETE SET NULL,
    type bounce_type NOT NULL DEFAULT 'hard', source TEXT NOT NULL DEFAULT '',
    meta JSONB NOT NULL DEFAULT '{}', created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TABLE settings (
    key TEXT NOT NULL UNIQUE, value JSONB NOT NULL DEFAULT '{}',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
"""

USERS_V6 = """
CREATE TABLE roles (id SERIAL PRIMARY KEY, name TEXT NOT NULL, permissions TEXT[]);
CREATE TABLE users (
    id SERIAL PRIMARY KEY, username TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    name TEXT NOT NULL, password TEXT NULL, type TEXT NOT NULL, status TEXT NOT NULL
);
"""

V6 = (
    V6_TYPES
    + SUBSCRIBERS
    + SUBSCRIBERS_LOWER_UNIQUE
    + LISTS_V6
    + SUBSCRIBER_LISTS
    + TEMPLATES_V6
    + CAMPAIGNS_V6
    + REST
    + USERS_V6
)
V3 = (
    V3_TYPES
    + SUBSCRIBERS
    + LISTS_V3
    + SUBSCRIBER_LISTS
    + TEMPLATES_V3
    + CAMPAIGNS_V3
    + REST
)

TABLES = (
    "subscribers",
    "lists",
    "subscriber_lists",
    "templates",
    "campaigns",
    "campaign_lists",
    "campaign_views",
    "links",
    "link_clicks",
    "bounces",
    "settings",
)
