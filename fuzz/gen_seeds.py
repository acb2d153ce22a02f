#!/usr/bin/env python3
"""Writes the fuzz seeds under fuzz/seeds/<target>/ from the response
examples in the sign-in-tokens OpenAPI spec.

    python3 fuzz/gen_seeds.py [SPEC] [OUT_DIR]

SPEC defaults to /work/shared/spec/sign-in-tokens.openapi.yml, OUT_DIR to
fuzz/seeds. Needs PyYAML. The output is deterministic; the seeds are
committed, so this only has to run again when the spec's examples change.
The byte layouts are documented at the top of each fuzz target.
"""

import json
import os
import struct
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/spec/sign-in-tokens.openapi.yml"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "seeds")

# response_parser header flags, in the order the target reads them.
CONTENT_TYPE, CONTENT_ENCODING, RETRY_AFTER, DATE, TRACE_ID = 1, 2, 4, 8, 16
HEADER_ORDER = [CONTENT_TYPE, CONTENT_ENCODING, RETRY_AFTER, DATE, TRACE_ID]
# Plant flags, in the order the target reads them.
PLANT_TOKEN, PLANT_TICKET, PLANT_KEY = 1, 2, 4
PLANT_ORDER = [PLANT_TOKEN, PLANT_TICKET, PLANT_KEY]

HTTP_DATE = "Wed, 12 Nov 2025 10:00:00 GMT"


def response_seed(status, body, headers=None, plants=None):
    """status: int; body: bytes; headers: {flag: str}; plants: {flag: offset}."""
    headers = headers or {}
    plants = plants or {}
    out = bytearray(struct.pack(">H", status))
    out.append(sum(headers))
    out.append(sum(plants))
    for flag in HEADER_ORDER:
        if flag in headers:
            value = headers[flag].encode()
            assert len(value) < 256
            out.append(len(value))
            out += value
    for flag in PLANT_ORDER:
        if flag in plants:
            assert 0 <= plants[flag] <= len(body)
            out += struct.pack(">H", plants[flag])
    out += body
    return bytes(out)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def examples(spec):
    """(response name, example name, status, value) for every example."""
    statuses = {}
    for path in spec["paths"].values():
        for op in path.values():
            for status, resp in op.get("responses", {}).items():
                ref = resp.get("$ref", "")
                statuses.setdefault(ref.rsplit("/", 1)[-1], set()).add(int(status))
    for name, resp in spec["components"]["responses"].items():
        for media in resp.get("content", {}).values():
            for ex_name, ex in media.get("examples", {}).items():
                for status in sorted(statuses.get(name, ())):
                    yield name, ex_name, status, ex["value"]


def error_plants(body):
    """Offsets that put each secret somewhere an error keeps text from:
    the token pair at the end of the first error object (inside its meta
    when it has one), the ticket inside long_message, the key inside
    message."""
    text = body.decode()
    plants = {}
    first = text.index("{", text.index('"errors"'))
    meta = text.find('"meta":{', first)
    if meta != -1:
        plants[PLANT_TOKEN] = text.index("}", meta)
    else:
        plants[PLANT_TOKEN] = text.index("}", first)
    lm = text.index('"long_message":"') + len('"long_message":"')
    plants[PLANT_TICKET] = text.index('"', lm)
    msg = text.index('"message":"') + len('"message":"')
    plants[PLANT_KEY] = text.index('"', msg)
    return {flag: len(text[:off].encode()) for flag, off in plants.items()}


def success_plants(body):
    """The token pair just before the closing brace; the ticket in the
    url (when it is a string); the key in the id."""
    text = body.decode()
    plants = {PLANT_TOKEN: len(text) - 1}
    sign_in = text.find("/sign-in?")
    if sign_in != -1:
        plants[PLANT_TICKET] = sign_in + len("/sign-in")
    idv = text.index('"id":"') + len('"id":"')
    plants[PLANT_KEY] = text.index('"', idv)
    return {flag: len(text[:off].encode()) for flag, off in plants.items()}


def response_seeds(spec):
    seeds = {}
    json_ct = {CONTENT_TYPE: "application/json"}
    for name, ex_name, status, value in examples(spec):
        body = compact(value)
        stem = f"{status}-{ex_name}".replace("_", "-")
        if 200 <= status < 300:
            seeds[stem] = response_seed(status, body, json_ct)
            seeds[stem + "-planted"] = response_seed(status, body, json_ct, success_plants(body))
        else:
            trace = value.get("clerk_trace_id", "")
            headers = {CONTENT_TYPE: "application/json; charset=utf-8", DATE: HTTP_DATE, TRACE_ID: trace}
            seeds[stem] = response_seed(status, body, headers)
            seeds[stem + "-planted"] = response_seed(status, body, json_ct, error_plants(body))

    # A few answers the spec does not list but every client meets, built
    # from the same examples.
    pending = next(v for n, e, s, v in examples(spec) if e == "pending")
    errors = next(v for n, e, s, v in examples(spec) if e == "resource_not_found")
    html = b"<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"
    seeds["429-retry-after"] = response_seed(
        429, compact(errors), {CONTENT_TYPE: "application/json", RETRY_AFTER: "7", DATE: HTTP_DATE}
    )
    seeds["503-retry-after-date"] = response_seed(
        503, html, {CONTENT_TYPE: "text/html", RETRY_AFTER: "Wed, 12 Nov 2025 10:00:30 GMT", DATE: HTTP_DATE}
    )
    seeds["502-html-planted"] = response_seed(
        502, html, {CONTENT_TYPE: "text/html", TRACE_ID: "8f1c2a"}, {PLANT_TOKEN: 35, PLANT_TICKET: 59, PLANT_KEY: 59}
    )
    seeds["200-gzip"] = response_seed(
        200, compact(pending), {CONTENT_TYPE: "application/json", CONTENT_ENCODING: "gzip"}
    )
    seeds["200-text-plain"] = response_seed(200, compact(pending), {CONTENT_TYPE: "text/plain"})
    seeds["200-bom-unlabelled"] = response_seed(200, b"\xef\xbb\xbf" + compact(pending))
    seeds["302-redirect"] = response_seed(302, b"", {})
    seeds["500-empty"] = response_seed(500, b"", {CONTENT_TYPE: "application/json"})
    return seeds


def request_seed(flags, secs, nanos, fields):
    out = bytearray([flags]) + struct.pack(">QI", secs, nanos)
    out += b"\xff".join(f.encode() for f in fields)
    return bytes(out)


def request_seeds(spec):
    ORG, BASE, UA = 0x01, 0x02, 0x04
    API_NONE, API_SET = 0x08, 0x10
    EXP_SECS, EXP_DURATION = 0x20, 0x40
    server = spec["servers"][0]["url"]
    version = spec["info"]["version"]
    pending = next(v for n, e, s, v in examples(spec) if e == "pending")
    user, sit = pending["user_id"], pending["id"]
    default_expiry = spec["paths"]["/sign_in_tokens"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["expires_in_seconds"]["default"]

    def fields(user_id=user, org="", sit_id=sit, base="", api="", ua=""):
        return [user_id, org, sit_id, base, api, ua]

    return {
        "defaults": request_seed(0, 0, 0, fields()),
        "all-set": request_seed(
            ORG | BASE | UA | API_SET | EXP_SECS, default_expiry, 0,
            fields(org="org_9xyz", base=server, api=version, ua="clerk-hyper/0.1.0"),
        ),
        "mock-server": request_seed(BASE | API_NONE, 0, 0, fields(base="http://127.0.0.1:4010/")),
        "gateway-prefix": request_seed(
            BASE | EXP_DURATION, 600, 0, fields(base="https://gw.example/clerk/v1/")
        ),
        "ipv6": request_seed(BASE, 0, 0, fields(base="http://[::1]:8080/v1")),
        "duration-fraction": request_seed(EXP_DURATION, 1, 500_000_000, fields()),
        "expires-zero": request_seed(EXP_SECS, 0, 0, fields()),
        "path-injection-id": request_seed(0, 0, 0, fields(sit_id="../users/x?y#z%2F\u00e9")),
        "dot-id": request_seed(0, 0, 0, fields(sit_id="..")),
        "bad-base": request_seed(BASE, 0, 0, fields(base="https://user@api.clerk.com/v1?x#y")),
        "crlf-ua": request_seed(UA | API_SET, 0, 0, fields(api="2026 05", ua="a\r\nX-Evil: 1")),
    }


def write(target, seeds):
    out = os.path.join(OUT, target)
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds in {out}")


def main():
    with open(SPEC, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    write("response_parser", response_seeds(spec))
    write("request_builder", request_seeds(spec))


if __name__ == "__main__":
    main()
