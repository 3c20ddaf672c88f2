"""Drive a real kernel (the registered "attention-lab" spec) through a list of cell groups and
print one JSON line: per cell its reply status, execution counts, streams and display data.

Cells of one group are sent back to back without waiting, as Jupyter does for "Run All" or a
student pressing Shift+Enter twice; the next group is sent the moment every reply of the
previous one has arrived (no pause). Used by tests/unit/kernel.test.ts.

usage: session.py NOTEBOOK_DIR SCRIPT_JSON
SCRIPT_JSON: {"groups": [[{"code": "...", "stop_on_error": true}, ...], ...]}
"""
import json
import sys

from jupyter_client.manager import start_new_kernel

nb_dir, script = sys.argv[1], json.load(open(sys.argv[2]))
km, kc = start_new_kernel(kernel_name="attention-lab", cwd=nb_dir, startup_timeout=120)


def run_group(cells):
    ids = [kc.execute(c["code"], stop_on_error=c.get("stop_on_error", True)) for c in cells]
    results = {i: {"stdout": "", "stderr": "", "display": [], "input_count": None} for i in ids}
    idle, replies = set(), {}
    while len(idle) < len(ids):
        msg = kc.get_iopub_msg(timeout=300)
        pid = msg["parent_header"].get("msg_id")
        if pid not in results:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            results[pid][content["name"]] += content["text"]
        elif kind in ("display_data", "update_display_data", "execute_result"):
            results[pid]["display"].append({"kind": kind, "data": content["data"]})
        elif kind == "execute_input":
            results[pid]["input_count"] = content["execution_count"]
        elif kind == "status" and content["execution_state"] == "idle":
            idle.add(pid)
    while len(replies) < len(ids):
        msg = kc.get_shell_msg(timeout=300)
        pid = msg["parent_header"].get("msg_id")
        if pid in results:
            replies[pid] = msg["content"]
    out = []
    for i in ids:
        r = results[i]
        r["status"] = replies[i].get("status")
        r["execution_count"] = replies[i].get("execution_count")
        out.append(r)
    return out


try:
    print(json.dumps([run_group(g) for g in script["groups"]]))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
