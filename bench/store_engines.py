"""Measure the candidate stores for the embedded graph: load, re-open and query latency.

Run: python bench/store_engines.py [--repeat 3] > /tmp/engines.md
It builds the full dataset (ontology + ICD-10-CM + CPG 038) once as N-Quads, then loads it into each
engine in a fresh subprocess (so memory figures are per engine) and prints a Markdown table of medians.
The figures and the choice made from them are in docs/store.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

QUERY = """PREFIX pkg: <https://w3id.org/policykg/ns#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?entry ?label WHERE { ?code skos:notation "Q05.4" ; skos:broader* ?listed .
  ?entry pkg:includesCode ?listed ; skos:notation ?label . }"""

ENGINES = {
    "rdflib Memory (N-Quads)": """
import time, resource, rdflib
t=time.perf_counter(); ds=rdflib.Dataset(default_union=True); ds.parse(NQ, format='nquads'); load=time.perf_counter()-t
lat=[]
for _ in range(20):
    t=time.perf_counter(); rows=list(ds.query(Q)); lat.append(time.perf_counter()-t)
print(json.dumps({'load': load, 'query_ms': sorted(lat)[10]*1000, 'rows': len(rows),
                  'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))
""",
    "rdflib + oxrdflib (ox-nquads)": """
import time, resource, rdflib
t=time.perf_counter(); ds=rdflib.Dataset(store='Oxigraph', default_union=True); ds.parse(NQ, format='ox-nquads')
load=time.perf_counter()-t
lat=[]
for _ in range(50):
    t=time.perf_counter(); rows=list(ds.query(Q)); lat.append(time.perf_counter()-t)
print(json.dumps({'load': load, 'query_ms': sorted(lat)[25]*1000, 'rows': len(rows),
                  'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))
""",
    "pyoxigraph in memory": """
import time, resource, pyoxigraph as ox
t=time.perf_counter(); st=ox.Store(); st.bulk_load(path=NQ, format=ox.RdfFormat.N_QUADS); load=time.perf_counter()-t
lat=[]
for _ in range(50):
    t=time.perf_counter(); rows=list(st.query(Q, use_default_graph_as_union=True)); lat.append(time.perf_counter()-t)
print(json.dumps({'load': load, 'query_ms': sorted(lat)[25]*1000, 'rows': len(rows),
                  'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))
""",
    "pyoxigraph on disk (RocksDB)": """
import time, resource, pyoxigraph as ox
t=time.perf_counter(); st=ox.Store(DIR); st.bulk_load(path=NQ, format=ox.RdfFormat.N_QUADS); st.flush(); del st
load=time.perf_counter()-t
t=time.perf_counter(); st=ox.Store.read_only(DIR); rows=list(st.query(Q, use_default_graph_as_union=True))
reopen=time.perf_counter()-t
lat=[]
for _ in range(50):
    t=time.perf_counter(); rows=list(st.query(Q, use_default_graph_as_union=True)); lat.append(time.perf_counter()-t)
print(json.dumps({'load': load, 'reopen_first_query': reopen, 'query_ms': sorted(lat)[25]*1000, 'rows': len(rows),
                  'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))
""",
    "owlready2 quadstore (SQLite)": """
import time, resource, owlready2
# owlready2 reads N-Triples; strip the graph names
nt = DIR + '.nt'
with open(NQ) as src, open(nt, 'w') as dst:
    for line in src:
        head, _, _ = line.rstrip().rpartition(' <')
        dst.write(head + ' .\\n')
t=time.perf_counter(); w=owlready2.World(filename=DIR + '.sqlite3'); w.get_ontology('file://' + nt).load(); w.save()
load=time.perf_counter()-t
w.close()
t=time.perf_counter(); w=owlready2.World(filename=DIR + '.sqlite3'); rows=list(w.sparql(Q))
reopen=time.perf_counter()-t
lat=[]
for _ in range(5):
    t=time.perf_counter(); rows=list(w.sparql(Q)); lat.append(time.perf_counter()-t)
print(json.dumps({'load': load, 'reopen_first_query': reopen, 'query_ms': sorted(lat)[2]*1000, 'rows': len(rows),
                  'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))
""",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    from policykg.build import generate_nquads

    with tempfile.TemporaryDirectory() as tmp:
        data, report = generate_nquads()
        nq = Path(tmp) / "all.nq"
        nq.write_bytes(data)
        quads = data.count(b"\n")
        print(f"dataset: {quads} quads; generation {report.seconds:.2f} s\n")
        print("| engine | load (s) | re-open + first query (s) | query (ms) | peak RSS (MiB) |")
        print("|---|---|---|---|---|")
        for name, code in ENGINES.items():
            if args.only and args.only not in name:
                continue
            runs = []
            for i in range(args.repeat):
                d = Path(tmp) / f"db-{len(runs)}-{i}-{abs(hash(name))}"
                prog = f"import json\nNQ={str(nq)!r}\nDIR={str(d)!r}\nQ={QUERY!r}\n" + code
                p = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=3600)
                if p.returncode != 0:
                    print(f"| {name} | failed: {p.stderr.strip().splitlines()[-1][:80]} | | | |")
                    break
                runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
            if not runs:
                continue
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "rows"}
            reopen = f"{med['reopen_first_query']:.2f}" if "reopen_first_query" in med else "n/a (in memory)"
            print(f"| {name} | {med['load']:.2f} | {reopen} | {med['query_ms']:.2f} | {med['rss_mib']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
