#!/usr/bin/env python3
"""Writes the small fixtures of Tests/KVReplayIngestTests/Fixtures (run from the package root).

Every snapshot shape of ../shared/docs/kv-and-log-formats.md section 3 around two tiny payloads (DCS v1 and v2),
the captured log_event body of the core SDK, NDJSON and warehouse CSV logs with bad records, and ID lists.
"""
import base64, gzip, json, os, shutil

OUT = "Tests/KVReplayIngestTests/Fixtures"
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def cond(t, op, field, target, id_type="userID"):
    return {"type": t, "targetValue": target, "operator": op, "field": field, "additionalValues": {}, "idType": id_type}


def rule(rid, pct, conditions, ret, group=None):
    r = {"name": rid, "passPercentage": pct, "conditions": conditions, "returnValue": ret, "id": rid, "salt": rid + "-salt",
         "idType": "userID"}
    if group:
        r["groupName"] = group
    return r


def spec(name, entity, default, rules, kind="feature_gate", **extra):
    s = {"name": name, "type": kind, "salt": name + "-salt", "enabled": True, "defaultValue": default, "rules": rules,
         "idType": "userID", "entity": entity}
    s.update(extra)
    return s


GATES = [
    spec("email_gate", "feature_gate", False, [rule("emailRule", 100, [cond("user_field", "str_contains_any", "email", ["@example.com"])], True)], version=3),
    spec("segment:beta", "segment", False, [rule("betaRule", 100, [cond("unit_id", "any", None, ["u1", "u2"])], True)]),
    spec("holdout_1", "holdout", False, [rule("holdRule", 10, [cond("public", None, None, None)], True)]),
]
BROKEN = {"name": "broken_gate", "type": "feature_gate", "enabled": True, "defaultValue": False, "rules": [], "idType": "userID",
          "entity": "feature_gate"}  # no salt: the evaluator cannot read it
CONFIGS = [
    spec("exp_a", "experiment", {}, [rule("expRule:50:1", 50, [cond("public", None, None, None)], {"color": "blue"}, "Test")],
         kind="dynamic_config", isActive=True, explicitParameters=["color"]),
    spec("config_a", "dynamic_config", {"limit": 10}, [], kind="dynamic_config"),
]
LAYERS = [spec("layer_a", "layer", {"color": "red"}, [rule("layerRule", 100, [cond("public", None, None, None)], {"color": "red"})],
               kind="dynamic_config")]

V1 = {"has_updates": True, "time": 1767225600000, "company_id": "fixtureCompany", "response_format": "dcs-v1",
      "feature_gates": GATES + [BROKEN], "dynamic_configs": CONFIGS, "layer_configs": LAYERS,
      "layers": {"layer_a": ["exp_a"]}, "id_lists": {"vip_users": True}}


def to_v2(p, time):
    cmap = {}
    def conv(specs):
        out = {}
        for s in specs:
            s = json.loads(json.dumps(s))
            name = s.pop("name")
            for r in s.get("rules", []):
                keys = []
                for c in r["conditions"]:
                    k = str(1000 + len(cmap))
                    cmap[k] = c
                    keys.append(k)
                r["conditions"] = keys
            out[name] = s
        return out
    return {"has_updates": True, "time": time, "company_id": "fixtureCompany", "response_format": "dcs-v2",
            "feature_gates": conv(p["feature_gates"]), "dynamic_configs": conv(p["dynamic_configs"]),
            "layer_configs": conv(p["layer_configs"]), "condition_map": cmap, "experiment_to_layer": {"exp_a": "layer_a"},
            "id_lists": {"vip_users": True}}


def write(name, data, mode="w"):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def main():
    v1 = compact(V1)
    v2 = compact(to_v2(V1, 1767312000000))
    later = dict(V1, time=1767398400000)
    later_text = compact(later)
    s = "snapshots/"
    # raw payloads, as `wrangler kv key get` writes them (no newline) and with --text (a newline).
    write(s + "statsig-fixture1_raw_v1.json", v1)
    write(s + "statsig-fixture1_raw_v2.json", v2 + "\n")
    write(s + "raw_v1_pretty.json", json.dumps(V1, indent=2))
    with gzip.open(os.path.join(OUT, s + "statsig-fixture1_2026-01-03T00-00-00Z.json.gz"), "wt") as f:
        f.write(later_text)
    # wrangler kv bulk get: remote ({"values": ...}) and --local (per-key {"value": ...}), then "Success!".
    write(s + "wrangler_bulk_get_remote.txt",
          json.dumps({"values": {"statsig-fixture1": v1, "other-key": "not a payload"}}, indent=2) + "\n\nSuccess!\n")
    write(s + "wrangler_bulk_get_local.txt",
          json.dumps({"statsig-fixture1": {"value": v2}, "statsig-missing": {"value": None}}, indent=2) + "\n\nSuccess!\n")
    # bulk-put / backup array: plain value with metadata, base64 value, a record without a value.
    write(s + "kv_backup.json", json.dumps([
        {"key": "statsig-fixture1", "value": v1, "metadata": {"exportedAt": "2026-01-10T12:00:00Z"}, "expiration": 1893456000},
        {"key": "statsig-fixture2", "value": base64.b64encode(v2.encode()).decode(), "base64": True},
        {"key": "statsig-fixture3"},
    ], indent=1))
    # Cloudflare REST envelopes around a payload (type=json), around bulk get with metadata, around a backup array.
    env = lambda r: {"success": True, "errors": [], "messages": [], "result": r}
    write(s + "rest_payload.json", json.dumps(env(V1)))
    write(s + "rest_bulk_get.json", json.dumps(env({"values": {"statsig-fixture1": {"value": v2, "metadata": {"capturedAt": 1767600000}, "expiration": 1893456000}}})))
    write(s + "rest_backup_array.json", json.dumps(env([{"key": "statsig-fixture1", "value": v1}])))
    write(s + "rest_error.json", json.dumps({"success": False, "errors": [{"code": 10009, "message": "key not found"}], "messages": [], "result": None}))
    # "no change"
    write(s + "no_updates.json", compact({"has_updates": False, "time": 1767225600000}))
    # unusable
    write(s + "truncated.json", v1[: len(v1) // 2])
    write(s + "not_json.txt", "this is not JSON\n")
    write(s + "key_list.json", json.dumps([{"name": "statsig-fixture1"}]))

    # logs
    body = json.load(open(os.path.join(SHARED, "conformance/generated/rust-core-0.24.2__captured_log_event_body.json")))["body"]
    write("logs/log_event_body.json", json.dumps(body, indent=1))
    with gzip.open(os.path.join(OUT, "logs/rgstr_body.json.gz"), "wt") as f:
        f.write(compact(body))
    events = body["events"]
    lines = [compact(e) for e in events[:4]]
    lines.insert(1, "")                                         # a blank line: skipped
    lines.append("{\"eventName\": \"statsig::gate_exposure\", ")  # truncated JSON
    lines.append("not json at all")
    bad = dict(events[0]); bad = json.loads(compact(bad)); del bad["metadata"]["gate"]
    lines.append(compact(bad))                                  # missing metadata.gate
    bad2 = json.loads(compact(events[0])); bad2["time"] = {"ms": 1}
    lines.append(compact(bad2))                                 # time of the wrong type
    bad3 = json.loads(compact(events[0])); bad3["user"]["customIDs"] = "abc"
    lines.append(compact(bad3))                                 # user.customIDs of the wrong type
    later_event = json.loads(compact(events[1])); later_event["time"] += 1000; later_event["user"]["email"] = "new@statsig.com"
    lines.append(compact(later_event))                          # the same user later, with a new email
    lines.append(compact({"eventName": "custom_event", "user": {"userID": "custom_only_user"}, "time": 1795924743999}))
    write("logs/events.ndjson", "\n".join(lines) + "\n")
    header = "company_id,unit_id,unit_type,exposure_type,name,rule,experiment_group,first_exposure_utc,first_exposure_pst_date,as_of_pst_date,percent,rollout,user_dimensions,inserted_at,rule_name,group_id,non_analytics"
    rows = [
        'c1,u100,user_id,experiment,exp_a,expRule:50:1,Test,2026-01-05 10:00:00.000,2026-01-05,2026-01-06,50.0,50,"{""country"":""US"",""os"":""iOS""}",2026-01-06 00:00:00,Test,g1,false',
        'c1,stable-7,stableID,gate,email_gate,emailRule,Pass,2026-01-05T11:00:00Z,2026-01-05,2026-01-06,100.0,100,"{""note"":""a, b"",\n""os"":""Android""}",2026-01-06 00:00:00,Pass,g2,false',
        'c1,,user_id,gate,email_gate,emailRule,Pass,2026-01-05T11:00:00Z,2026-01-05,2026-01-06,100.0,100,,2026-01-06 00:00:00,Pass,g2,false',
        'c1,u101,user_id,experiment,exp_a,expRule:50:1,Control,yesterday,2026-01-05,2026-01-06,50.0,50,,2026-01-06 00:00:00,Control,g3,false',
        'c1,u102,user_id,experiment,exp_a,expRule:50:1,Control',
    ]
    write("logs/exposures_export.csv", header + "\n" + "\n".join(rows) + "\n")

    # ID lists
    write("idlists/vip_users.txt", "+abcdEFGH\n+12345678\n-abcdEFGH\n+raw-user-id-1\nbogus line\n\n+Zz9+/aB0\n")
    write("idlists/lists.json", json.dumps({"beta_testers": ["u1", "u2", 42], "empty_list": [], "bad_list": "u3"}))


if __name__ == "__main__":
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    main()
