"""Drive a real tslab kernel the way a student does: run an import cell, edit the imported .ts
file, re-run the same cell. Prints one JSON line with the outputs. Used by tests/unit/kernel.test.ts.

usage: reload.py NOTEBOOK_DIR MODULE_FILE
"""
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

nb_dir, module_file = sys.argv[1], sys.argv[2]
km, kc = start_new_kernel(kernel_name="attention-lab", cwd=nb_dir)


def run(code):
    msg_id = kc.execute(code)
    outs = []
    while True:
        msg = kc.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            outs.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            outs.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            outs.append("ERROR " + content["evalue"])
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(outs).strip()


cell = 'import { answer } from "./lib/mod";\nanswer()'
try:
    first = run(cell)
    with open(module_file, "w") as f:
        f.write("export function answer(): number {\n  return 2;\n}\n")
    time.sleep(3)  # the editor-save-then-rerun pause a student makes; tslab polls files for changes
    second = run(cell)
    print(json.dumps({"first": first, "second": second}))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
