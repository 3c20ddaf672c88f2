"""Execute one notebook with nbclient and export it to HTML with nbconvert (Debian's Jupyter).

Run by scripts/run-notebooks.ts, which finishes the HTML (maths, plotting library) and prints
progress. Prints one JSON object per line on stdout:
  {"event": "start", "cells": N}                     once the kernel is up
  {"event": "cell", "index": i, "done": k, "cells": N, "seconds": s, "status": "ok"|"error"|...}
  {"event": "done", "seconds": s}

usage: execute-notebook.py NOTEBOOK OUT_IPYNB OUT_HTML KERNEL_NAME CELL_TIMEOUT_S
"""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

src, out_ipynb, out_html, kernel_name, timeout = sys.argv[1:6]
nb = nbformat.read(src, as_version=4)
code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
started = time.time()
cell_started = [started]
done = [0]


def emit(**event):
    print(json.dumps(event), flush=True)


def on_cell_start(cell, cell_index):
    cell_started[0] = time.time()


def on_cell_executed(cell, cell_index, execute_reply):
    done[0] += 1
    emit(event="cell", index=cell_index, done=done[0], cells=code_cells,
         seconds=round(time.time() - cell_started[0], 2),
         status=execute_reply.get("content", {}).get("status"))


client = NotebookClient(
    nb,
    kernel_name=kernel_name,
    timeout=int(timeout),
    allow_errors=True,
    resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    on_cell_start=on_cell_start,
    on_cell_executed=on_cell_executed,
    on_notebook_start=lambda notebook: emit(event="start", cells=code_cells),
)
client.execute()
nbformat.write(nb, out_ipynb)
html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
with open(out_html, "w", encoding="utf-8") as f:
    f.write(html)
emit(event="done", seconds=round(time.time() - started, 1))
