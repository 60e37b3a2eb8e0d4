"""Cited works, their authors and the citations of a parsed policy as pkg:EvidenceSource / cito:Citation.

Stated by the policy: who is cited, the year(s), the sentence citing it, the References entry. Inferred (and
said so in a ``skos:note``): the work's class (from the citing sentences: "systematic review" -> pkg:Review,
"guideline" -> pkg:ClinicalPracticeGuideline, "Appropriateness Criteria" -> pkg:AppropriatenessCriteria, an
organisation's statement -> pkg:PositionStatement, else pkg:Study), the statement each citation is cited for and
its stance (policy_citing). Works, persons and organisations are minted below the version, never in the
shared ``id/work/`` space of the curated graph: the two never restate each other's triples (the store's
union graph does not merge duplicates), and ``dcterms:identifier`` (the parser's work key, ``hughes:2003``)
lets queries match a work across versions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from rdflib import RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, SKOS

from ..namespaces import CITO, PKG
from .policy_citing import Stance, cited_for, stance
from .policy_model import Work
from .policy_rdf import slug

if TYPE_CHECKING:
    from .policy_rdf import RdfWriter

STANCES = {Stance.SUPPORTS: PKG.Supports, Stance.DOES_NOT_SUPPORT: PKG.DoesNotSupport,
           Stance.BACKGROUND: PKG.Background}
CHARACTERIZATION = {Stance.SUPPORTS: CITO.obtainsSupportFrom, Stance.BACKGROUND: CITO.obtainsBackgroundFrom}
_TYPE_CUES = [
    (re.compile(r"appropriateness\s+criteria", re.I), PKG.AppropriatenessCriteria),
    (re.compile(r"\bguidelines?\b|practice\s+parameter", re.I), PKG.ClinicalPracticeGuideline),
    (re.compile(r"systematic\s+review|meta-analys|\breview\s+of\b|literature\s+review|reviewed\s+the\b", re.I),
     PKG.Review),
]


def add_evidence(w: RdfWriter, statements: list[URIRef]) -> None:
    """Works with their creators, then one cito:Citation per mention and statement it is cited for."""
    work_iris = {work.key: _work(w, work) for work in w.doc.works}
    doc = w.doc
    starts = sorted({c.sentence_provenance.start for c in doc.citations})
    for n, citation in enumerate(doc.citations, start=1):
        target = cited_for(citation, doc.statements)
        section = doc.section(*citation.provenance.section_path)
        sentence = citation.sentence_provenance
        limit = min([section.end if section else len(doc.source.text)] + [s for s in starts if s >= sentence.end])
        for m, index in enumerate(target.statements or (None,), start=1):
            statement = doc.statements[index] if index is not None else None
            guess = stance(doc.source.text, (sentence.start, sentence.end), limit,
                           statement.determination if statement else None)
            c = w.iris.item(f"citation-{n:02d}" + (f"-{m}" if len(target.statements) > 1 else ""))
            passage = sentence if guess.end is None else replace(
                sentence, end=guess.end, quote=doc.source.text[sentence.start:guess.end])
            w.fact(c, (CITO.Citation, OWL.NamedIndividual), passage)
            w.add(c, CITO.hasCitingEntity, statements[index] if index is not None else w.iris.policy)
            w.add(c, CITO.hasCitedEntity, work_iris[citation.work_key])
            w.add(c, PKG.stance, STANCES[guess.stance])
            if guess.stance in CHARACTERIZATION:
                w.add(c, CITO.hasCitationCharacterization, CHARACTERIZATION[guess.stance])
            note = f"{target.note()}; {guess.note(statement.determination if statement else None)}"
            w.add(c, SKOS.note, Literal("inferred: " + note, lang="en"))
            w.add(c, RDFS.comment, Literal(f"cited as {' '.join(citation.provenance.quote.split())!r}"))


def _work(w: RdfWriter, work: Work) -> URIRef:
    doc = w.doc
    iri = w.iris.item("work", slug(work.key))
    mentions = [doc.citations[i] for i in work.citation_indices]
    w.fact(iri, (_work_class(work, [c.sentence for c in mentions]), OWL.NamedIndividual), mentions[0].provenance)
    w.add(iri, RDFS.label, Literal(_label(work, doc.works, any(c.et_al for c in mentions))))
    w.add(iri, DCTERMS.identifier, Literal(work.key))
    w.add(iri, DCTERMS.issued, Literal(str(work.first_year), datatype=XSD.gYear))
    w.add(iri, PKG.etAl, Literal(any(c.et_al for c in mentions)))
    w.add(iri, SKOS.note, Literal("inferred: the work's class, from the sentences citing it", lang="en"))
    if work.title_hint:
        w.add(iri, DCTERMS.title, Literal(work.title_hint, lang="en"))
    quotes = " ".join(c.provenance.quote for c in mentions)
    reaffirmed = {int(y) for y in re.findall(r"reaffirm\w*\s+(?:in\s+)?(?:\w+\s+)?((?:19|20)\d{2})", quotes, re.I)}
    for year in work.years:
        if year != work.first_year:
            prop = PKG.reaffirmedIn if year in reaffirmed else PKG.revisedIn
            w.add(iri, prop, Literal(str(year), datatype=XSD.gYear))
    if work.author is not None:
        w.add(iri, DCTERMS.creator, _creator(w, work.author, work.acronym, work.is_organisation))
    else:
        w.finding("work-without-author", work.key, "the citation's author could not be resolved")
    names = dict(doc.organisations)
    for acronym in work.collaborators:
        w.add(iri, DCTERMS.creator, _creator(w, names.get(acronym, acronym), acronym, True))
    for entry in doc.references:
        if work.key in entry.work_keys:
            w.add(iri, DCTERMS.bibliographicCitation, Literal(entry.text))
            if entry.doi:
                w.add(iri, RDFS.seeAlso, URIRef("https://doi.org/" + entry.doi))
    return iri


def _creator(w: RdfWriter, name: str, acronym: str | None, is_org: bool) -> URIRef:
    if is_org:
        iri = w.iris.item("org", slug(acronym or name))
        w.fact(iri, (FOAF.Organization, OWL.NamedIndividual), None)
        w.add(iri, FOAF.name, Literal(name))
        w.add(iri, RDFS.label, Literal(f"{name} ({acronym})" if acronym and acronym != name else name, lang="en"))
        if acronym:
            w.add(iri, PKG.acronym, Literal(acronym))
        return iri
    iri = w.iris.item("person", slug(name))
    w.fact(iri, (FOAF.Person, OWL.NamedIndividual), None)
    w.add(iri, FOAF.familyName, Literal(name))
    w.add(iri, RDFS.label, Literal(name, lang="en"))
    return iri


def _work_class(work: Work, sentences: list[str]) -> URIRef:
    text = " ".join([work.title_hint or "", *sentences])
    for pattern, cls in _TYPE_CUES:
        if pattern.search(text):
            return cls
    return PKG.PositionStatement if work.is_organisation else PKG.Study


def _label(work: Work, works: tuple[Work, ...], et_al: bool) -> str:
    """ "Hughes et al. 2003", "ACR 2007; 2016; 2022"; the title hint is added when two works would share one."""
    who = (work.acronym if work.is_organisation and work.acronym else work.author) or "Unknown author"
    base = f"{who}{' et al.' if et_al else ''}"
    twins = [o for o in works if o.key != work.key and o.author == work.author and o.first_year == work.first_year]
    hint = f" {work.title_hint}" if twins and work.title_hint else ""
    return f"{base}{hint} {'; '.join(str(y) for y in work.years)}"
