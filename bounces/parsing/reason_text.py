"""What MTAs write for each bounce reason: lower-case patterns per reason.

The phrases are the wording real MTAs and mail providers use (Postfix, Exim,
Sendmail, qmail, Exchange/Office 365, Gmail, Yahoo, iCloud, Mail.ru, Yandex,
QQ/163, Japanese carriers...), as collected by the bounce analysers (Sisimai's
Reason/*.pm lists them per reason) and by stmails' own corpus. They run on
lower-cased diagnostic text capped at a few KB, each as one alternation with
bounded gaps only, so matching stays linear in the text.

`STATUS_REASONS` maps RFC 3463 codes to the reason they state.
"""

from __future__ import annotations

import re

# RFC 3463 class.subject.detail -> reason; class 4 codes use the same table.
STATUS_REASONS: dict[str, str] = {
    "1.0": "userunknown",
    "1.1": "userunknown",
    "1.2": "hostunknown",
    "1.3": "userunknown",
    "1.4": "filtered",
    "1.6": "hasmoved",
    "1.7": "rejected",
    "1.8": "rejected",
    "1.9": "systemerror",
    "1.10": "notaccept",
    "2.0": "filtered",
    # 5.2.1 "mailbox disabled, not accepting messages": in practice the
    # recipient's own refusal (Sisimai: filtered); 4.2.1 is a suspended box.
    "2.1": "filtered",
    "2.2": "mailboxfull",
    "2.3": "exceedlimit",
    "2.4": "filtered",
    "3.0": "systemerror",
    "3.1": "systemfull",
    "3.2": "notaccept",
    "3.3": "systemerror",
    "3.4": "mesgtoobig",
    "3.5": "systemerror",
    "4.0": "networkerror",
    "4.1": "expired",
    "4.2": "networkerror",
    "4.3": "systemerror",
    "4.4": "hostunknown",
    "4.5": "systemfull",
    "4.6": "networkerror",
    "4.7": "expired",
    "5.3": "toomanyconn",
    "5.4": "systemerror",
    "5.5": "systemerror",
    "5.6": "securityerror",
    "6.0": "contenterror",
    "6.1": "contenterror",
    "6.2": "contenterror",
    "6.3": "contenterror",
    "6.5": "contenterror",
    "6.6": "contenterror",
    "6.7": "contenterror",
    "6.8": "contenterror",
    "6.9": "contenterror",
    "7.0": "securityerror",
    "7.1": "securityerror",
    "7.2": "securityerror",
    "7.3": "securityerror",
    "7.4": "securityerror",
    "7.5": "securityerror",
    "7.6": "securityerror",
    "7.7": "securityerror",
    "7.8": "securityerror",
    "7.9": "securityerror",
    "7.10": "securityerror",
    "7.11": "securityerror",
    "7.13": "suspend",
    "7.14": "securityerror",
    "7.15": "securityerror",
    "7.16": "mesgtoobig",
    "7.17": "hasmoved",
    "7.18": "hasmoved",
    "7.19": "securityerror",
    "7.20": "authfailure",
    "7.21": "authfailure",
    "7.22": "authfailure",
    "7.23": "authfailure",
    "7.24": "authfailure",
    "7.25": "requireptr",
    "7.26": "authfailure",
    "7.27": "notaccept",
}
# Temporary codes that say something else than their permanent twin.
TEMPORARY_STATUS_REASONS: dict[str, str] = {
    "1.0": "onhold",
    "1.1": "userunknown",
    "2.1": "suspend",
    "4.1": "expired",
    "4.7": "expired",
    # 4.3.2 "system not accepting network messages" for now: too many of ours.
    "3.2": "toomanyconn",
    "7.1": "blocked",
    "7.2": "blocked",
    "7.25": "requireptr",
}

_PATTERNS: dict[str, list[str]] = {
    "mailboxfull": [
        r"over ?(?:the )?(?:allowed |disk )?quota",
        r"quota (?:exceeded|violation|usage exceeded)",
        r"(?:mailbox|mail ?box|mailfolder|maildir|inbox|folder) (?:is )?(?:full|over)",
        r"full mailbox|mailbox exceeded the local limit|mailbox size limit exceeded",
        r"exceeded (?:its |the |their )?(?:disk space|storage|mailbox quota)",
        r"exceeding (?:its |their )?(?:mailbox )?quota",
        r"reached (?:its |the |their )?(?:disk )?quota|disc quota exceeded",
        r"insufficient (?:disk )?space|not enough (?:storage )?space|"
        r"does not have enough space|space has been used up",
        r"too much mail data|too many messages on the server",
        r"would exceed (?:the )?maximum allowed storage|"
        r"boite du destinataire pleine|userdisk quota|domaindisk quota",
        r"mail file size exceeds the maximum|mailbox exceeds allowed size",
    ],
    "mesgtoobig": [
        r"message (?:is )?too (?:big|large)(?! for)|message size exceeds|"
        r"(?:maximum |max )(?:inbound )?message size|max message size exceeded",
        r"message (?:file|length) (?:too big|exceeds)|size limit|line limit exceeded|"
        r"exceeds (?:the )?(?:maximum |fixed )?(?:message )?size|"
        r"taille limite du message|message too large for this",
    ],
    "exceedlimit": [
        r"message header size exceeds limit|exceeds (?:the )?recipient'?s? size limit",
    ],
    "suspend": [
        r"(?:account|mailbox|user) (?:is |has been )?(?:currently )?"
        r"(?:disabled|inactive|suspended|locked|frozen|deactivated|discontinued)",
        r"(?:disabled|inactive|suspended|deactivated) (?:account|mailbox|user)",
        r"is a deactivated mailbox|temporarily (?:inactive|disabled|locked)|"
        r"temporary locked|recipient suspend|boite du destinataire archivee|"
        r"account is locked|invalid/inactive user|mailbox unavailable or access denied|"
        r"account that you tried to reach is disabled",
    ],
    "hasmoved": [
        r"has been replaced by|(?:has|have) moved|address (?:has )?changed|"
        r"no longer (?:with|at|employed)|user not local|mailbox owner has changed",
    ],
    "norelaying": [
        r"relay(?:ing)? (?:access )?denied|relay not permitted|not permitted to relay|"
        r"unable to relay|not allowed to relay|insecure mail relay|not an open relay|"
        r"not configured to relay|relaying mail to|we don'?t handle mail for|"
        r"not a gateway|requires authentication when attempting to send to a non-local",
    ],
    "userunknown": [
        r"user unknown|unknown user|no such (?:user|mailbox|account|recipient|person|"
        r"address)|user (?:does not|doesn'?t) exist|"
        r"(?:mailbox|account|address|recipient|user|e-?mail address)"
        r"(?: \S{1,80})? (?:does not|doesn'?t) exist|"
        r"mailbox (?:not found|unavailable|not present|invalid|is unavailable)|"
        r"(?:recipient|user|mailbox|address|account) (?:not found|unknown)|"
        r"unknown (?:recipient|mailbox|local[- ]?part|address|account|e-?mail address)|"
        r"invalid (?:recipient|mailbox|address|user)|bad[-_ ]recipient|"
        r"no mailbox (?:here )?by that name|not our customer|addressee unknown|"
        r"couldn'?t be found|could not be found|unable to find|name is not recognized|"
        r"not (?:a )?(?:valid|known|local) (?:user|recipient|mailbox|address)|"
        r"(?:isn'?t|is not) (?:a )?valid|bad destination mailbox|"
        r"unknown or illegal alias|user not listed|non-?existent user|"
        r"no (?:such )?(?:user|account) (?:here|by that name)|undeliverable address|"
        r"user \S{1,80} (?:not found|unknown|was not found|does not exist)|"
        r"does not have an account|recipient ?not ?found|"
        r"doesn'?t have an? .{0,40}account|no account by that name|delivery userid|"
        r"not listed in .{0,30}directory|address not present in directory|"
        r"no longer (?:active|valid|available|accepts mail)|archived recipient|"
        r"recipient address rejected: (?:invalid|unknown|user)|"
        r"requested action not taken: mailbox unavailable|resolver\.adr\.recipientnotfound|"
        r"recipientnotfound|badrcptto|not in my validrcptto|there is no one at this|"
        r"invalid or unknown virtual user|utilisateur inconnu|destinataire invalide|"
        r"nessun utente|no existe|address invalid|missing home directory|"
        r"account that you tried to reach does not exist|"
        # Office 365 directory-based blocking: the recipient is not in the directory.
        r"recipient address rejected: access denied|"
        # Lotus Notes / Domino in Japanese: "not found in the (Domino) directory",
        # "not in the directory list".
        r"ディレクトリ ?(?:には見つかりません|のリストにありません)",
    ],
    "filtered": [
        r"only accepting mail from specific|refused due to recipient preferences|"
        r"message rejected due to user rules|user reject|blocked by the recipient|"
        r"is not accepting any mail|restricted sms e-mail|"
        r"resolver\.rst\.notauthorized|this account is protected by|"
        r"due to extended inactivity new mail is not|refuse to receive mail",
    ],
    "rejected": [
        r"sender (?:address |email address |ip address )?rejected|"
        r"sender verify failed|invalid sender|sender is spammer|sender not pre-approved|"
        r"domain of sender address|null sender is not allowed|"
        r"empty envelope senders not allowed|unroutable sender address|"
        r"sender address has been blacklisted|email address is not verified|"
        r"not allowed to post to this mailing list|administrative prohibition|"
        r"returned mail not accepted here|batv (?:failed|validation)|no third-party dsns|"
        # qmail: "Connected to ... but sender was rejected"; Sender ID (Courier).
        r"sender was rejected|can'?t determine purported responsible address",
    ],
    "hostunknown": [
        r"host or domain name not found|unknown host|host unknown|host unreachable|"
        r"domain (?:name )?not found|no such domain|domain (?:does not|must) exist|"
        r"domain is not reachable|unrout(?:e)?able address|"
        r"unknown domain|domain (?:is )?(?:invalid|unknown)|nxdomain|"
        r"host (?:name )?not found|name or service not known|name service error|"
        r"mail domain mentioned in email address is unknown|"
        r"the account or domain may not exist|bad destination system|"
        r"553 \S{1,80} does not exist",
    ],
    "spamdetected": [
        r"spam(?!haus|cop|\.| ip)|junk mail|unsolicited|bulk mail|\bube\b|"
        r"mass mailer|message content rejected|suspicious|phish",
    ],
    "virusdetected": [
        r"virus|malware|potentially executable attachment|infected",
    ],
    "ratelimited": [
        r"(?<!connection )rate limit|rate-limit|ratelimit|throttl|sending rate exceeded|"
        r"too many (?:messages|emails|mails)|exceeded the max emails per|"
        r"daily message quota exceeded|messages from \S{1,80} temporarily deferred",
    ],
    "toomanyconn": [
        r"too many (?:connections|concurrent|smtp sessions|errors from your ip|"
        r"recipients)|connection (?:rate )?limit|maximum connection limit|"
        r"trop de connexions|numerous attempts to deliver|"
        # Tencent QQ: "Ip frequency limited", "Connection frequency limited".
        r"frequency limited",
    ],
    "requireptr": [
        r"reverse (?:dns|hostname|lookup)|\bptr\b|\brdns\b|cannot find your hostname|"
        r"cannot resolve your address|"
        r"ip name lookup failed|hostname (?:does not|doesn'?t) resolve",
    ],
    "authfailure": [
        r"\bspf\b|\bdkim\b|\bdmarc\b|sender policy framework|"
        r"unauthenticated email|not authenticated|authentication (?:results|check)",
    ],
    "badreputation": [
        r"reputation|bad ip profile",
    ],
    "blocked": [
        r"blacklist|blocklist|block ?list|black ?list|\brbl\b|spamhaus|spamcop|"
        r"\bdnsbl\b|barracuda|(?<!not )listed (?:at|on|in)|"
        r"client host .{0,80}(?:rejected|blocked)|access denied|\bblocked\b|"
        r"connection (?:refused|dropped|reset)|go away|dynamic ip|"
        r"helo command rejected|esmtp not accepting connections|banned sending ip|"
        r"mismatches client ip|"
        # Outlook.com's SC-00x: "messages from 192.0.2.1 weren't sent".
        r"messages from \S{1,80} weren'?t sent|"
        # A Sendmail milter's answer to a listed client: "A problem occurred ... (BL)".
        r"a problem occurred\. \(ask your postmaster",
    ],
    "policyviolation": [
        r"policy (?:reasons|violation)|denied by policy|organi[sz]ation(?:al)? "
        r"(?:policy|settings)|security polic|local policy|closed mailing list|"
        r"members-only list|illegal attachment|not subscribed to this group|"
        r"protocol violation|multiple addresses in|"
        # Mimecast's geographical restriction policy.
        r"host network not allowed",
    ],
    "securityerror": [
        r"authentication (?:required|failure|failed)|verification failure|"
        r"unauthenticated senders not allowed|tls required|must issue a starttls|"
        r"turn on smtp authentication|"
        r"not authorized to (?:send|perform)|executable files are not allowed",
    ],
    "systemerror": [
        r"system config(?:uration)? error|local (?:configuration )?error|"
        r"mail loop|loops back to myself|forwarding loop broken|server configuration error|"
        r"remote server is misconfigured|temporary local problem|queue file write error|"
        r"internal (?:server )?error|service currently unavailable|"
        r"timeout waiting for input|interrupted system call|can'?t create user output file",
    ],
    "networkerror": [
        r"no route to host|host is unreachable|host name lookup failure|"
        r"malformed (?:or unexpected )?name server reply|too many hops|"
        r"hop count exceeded|routing loop|message looping|unable to resolve route|"
        r"dns records for the destination computer could not be found|"
        r"could not connect|unrout(?:e)?able mail domain|host not found, try again",
    ],
    "expired": [
        r"delivery time expired|message expired|expired after|timed out|"
        r"giving up on|too long in the queue|in the queue too long|"
        r"unable to deliver message after multiple retries|"
        r"retry time not reached for any host after a long failure period|"
        r"not reachable within the allowed queue period|have been failing for a long time|"
        r"server did not respond|could not be delivered for more than|envelope expired|"
        r"retry timeout exceeded|"
        # Gmail, after days of failed connections: it gave up.
        r"did not accept our requests to connect",
    ],
    "contenterror": [
        r"8-bit data in message header|invalid mime|mime complexity|"
        r"header size exceeds|improperly-formatted|unnecessary base64|header error",
    ],
    "mailererror": [
        r"command died with status|command output:|mailer error|"
        r"procmail: |local delivery failed",
    ],
    "notcompliantrfc": [
        r"rfc ?5322|rfc ?2822|not (?:rfc|rfc-)?compliant|duplicate headers|"
        r"multiple (?:from|date|subject|to|message-id) headers",
    ],
    "syntaxerror": [
        # 503: the receiving server saw the SMTP commands out of order.
        r"(?:improper|bad) sequence of commands",
    ],
    "systemfull": [
        r"mail system full|system (?:is )?full|exceeded storage allocation",
    ],
    "notaccept": [
        r"null ?mx|(?:host|domain|host/domain) does not accept (?:any )?mail|"
        r"domain accepts no mail|does not accept mail|no mx record found|"
        r"no route for current request",
    ],
}

REASON_ORDER: tuple[str, ...] = tuple(_PATTERNS)
# One alternation, a named group per reason: a single scan finds every reason.
# Every wording starts at a word boundary: the leading \b turns most positions
# away before the alternation is tried (three times faster).
COMBINED = re.compile(
    r"\b(?:"
    + "|".join(f"(?P<{name}>{'|'.join(parts)})" for name, parts in _PATTERNS.items())
    + ")"
)


def reasons_in(text: str) -> set[str]:
    """Every reason whose wording occurs in the (lower-cased, capped) text."""
    found: set[str] = set()
    for m in COMBINED.finditer(text):
        found.add(m.lastgroup or "")
    found.discard("")
    return found
