#!/usr/bin/env python3
"""Expected `ua_based` fields of the legacy SDK (statsig 0.72.1) for real user agents, computed by the SDK itself
(`_Evaluator.__get_from_user_agent`), for `UAPCoreParserTests`.

The agents are the `user_agent_string`s of uap-core's test files (https://github.com/ua-parser/uap-core, Apache
License 2.0): all of tests/test_ua.yaml, tests/test_os.yaml and the smaller test_resources files, and every
`--stride`-th agent of the two large ones (tests/test_device.yaml, test_resources/pgts_browser_list.yaml).

    ~/.cache/statsig-oracle-venv/bin/python Tests/Tools/make_uap_cases.py --uap-core DIR [--stride 8] [--out FILE]

Writes JSON Lines `{"ua", "os_name", "os_version", "browser_name", "browser_version"}`, gzip -9n.
"""
import argparse
import gzip
import io
import json
import os
import re

LARGE = ("tests/test_device.yaml", "test_resources/pgts_browser_list.yaml")
SMALL = ("tests/test_ua.yaml", "tests/test_os.yaml", "test_resources/additional_os_tests.yaml",
         "test_resources/firefox_user_agent_strings.yaml", "test_resources/opera_mini_user_agent_strings.yaml",
         "test_resources/podcasting_user_agent_strings.yaml")


def agents(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*-?\s*user_agent_string:\s*(.*)$", line.rstrip("\n"))
            if not m:
                continue
            v = m.group(1).strip()
            if v.startswith("'") and v.endswith("'"):
                v = v[1:-1].replace("''", "'")
            elif v.startswith('"') and v.endswith('"'):
                v = json.loads(v)
            out.append(v)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--uap-core", required=True, help="a checkout of ua-parser/uap-core")
    p.add_argument("--stride", type=int, default=8)
    p.add_argument("--all", action="store_true", help="every agent of every file (for a local check; not committed)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                 "KVReplayEvaluationTests", "Fixtures", "uap_python_cases.jsonl.gz"))
    a = p.parse_args()

    from statsig.config_evaluation import _ConfigEvaluation
    from statsig.evaluator import _Evaluator
    from statsig.statsig_user import StatsigUser

    ev = _Evaluator(None, None)
    ev.initialize()
    seen, uas = set(), []
    for rel in SMALL + LARGE:
        lst = agents(os.path.join(a.uap_core, rel))
        if rel in LARGE and not a.all:
            lst = lst[::a.stride]
        for ua in lst:
            if ua not in seen:
                seen.add(ua)
                uas.append(ua)
    buf = io.StringIO()
    for ua in uas:
        user = StatsigUser(user_id="u", user_agent=ua)
        rec = {"ua": ua}
        for field in ("os_name", "os_version", "browser_name", "browser_version"):
            rec[field] = ev._Evaluator__get_from_user_agent(user, field, _ConfigEvaluation())
        buf.write(json.dumps(rec, sort_keys=True, ensure_ascii=False) + "\n")
    with open(a.out, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as g:
            g.write(buf.getvalue().encode())
    print(f"{len(uas)} agents -> {a.out}")


if __name__ == "__main__":
    main()
