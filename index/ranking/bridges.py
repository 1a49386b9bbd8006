"""Other words for the same thing, for the words of a question.

People type "movie" for an article's "film", "sneakers" for "trainers", "grandkids" for
"grandchildren". The spelling bridge (colour/color) is in the analyser, so index and
questions agree; these are different words, so they are not: "trainers" is also the
plural of a coach, and folding it into "sneaker" in the index would mislead search. Only
`ask` uses them: as extra words of the query that finds its candidate articles, and as a
weaker match than the word itself when it scores their sentences (``ask.BRIDGE_CREDIT``).

Two small tables, offline and by hand, of words rather than stories:
- CHAT_WORDS: the informal and short forms people type in a chat for the words news
  articles use (kids/children, champ/champion, pm/prime minister, movie/film);
- US_UK_WORDS: American words for the British ones of UK articles (sneakers/trainers,
  truck/lorry), the common ones.

Measured and not used (bench/README.md): breame's US/UK terminology (~800 pairs parsed
from the "(UK: lift)" notes of its definitions): no gain on the tuning half, a loss of one
cited article on the held-out half; its loose pairs ("truck" -> "trolley") cost more than
they find.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from articlebot.index.text.analysis import Analyzer

# Informal or short words typed in chats -> the words articles use (each pair works both
# ways). Generic on purpose: words, not stories.
CHAT_WORDS: tuple[tuple[str, str], ...] = (
    ("movie", "film"),
    ("movies", "films"),
    ("kid", "child"),
    ("kids", "children"),
    ("grandkid", "grandchild"),
    ("grandkids", "grandchildren"),
    ("mom", "mother"),
    ("mum", "mother"),
    ("dad", "father"),
    ("hubby", "husband"),
    ("champ", "champion"),
    ("pm", "prime minister"),
    ("ex", "former"),
    ("pic", "photo"),
    ("pics", "photos"),
    ("pic", "picture"),
    ("vid", "video"),
    ("telly", "television"),
    ("tv", "television"),
    ("uni", "university"),
    ("doc", "doctor"),
    ("docs", "doctors"),
    ("medic", "doctor"),
    ("cop", "police officer"),
    ("cops", "police"),
    ("vet", "veteran"),
    ("motorcycle", "motorbike"),
    ("bike", "motorbike"),
    ("bike", "bicycle"),
    ("car", "vehicle"),
    ("plane", "aircraft"),
    ("flight attendant", "stewardess"),
    ("stewardess", "air hostess"),
    ("buy", "purchase"),
    ("bought", "purchased"),
    ("sell", "sale"),
    ("selling", "sale"),
    ("die", "death"),
    ("died", "death"),
    ("wed", "married"),
    ("wedding", "married"),
    ("jail", "prison"),
    ("cash", "money"),
    ("job", "role"),
    ("boss", "chief executive"),
    ("ceo", "chief executive"),
    ("covid", "coronavirus"),
    ("virus", "coronavirus"),
    ("brit", "british"),
    ("brits", "britons"),
    ("aussie", "australian"),
    ("aussies", "australians"),
    ("yank", "american"),
    ("footie", "football"),
)

# American words for the British ones (or the reverse): questions are typed either way.
US_UK_WORDS: tuple[tuple[str, str], ...] = (
    ("apartment", "flat"),
    ("sneakers", "trainers"),
    ("truck", "lorry"),
    ("trucks", "lorries"),
    ("vacation", "holiday"),
    ("cellphone", "mobile"),
    ("diaper", "nappy"),
    ("soccer", "football"),
    ("windshield", "windscreen"),
    ("stroller", "pushchair"),
    ("realtor", "estate agent"),
    ("attorney", "lawyer"),
    ("cookies", "biscuits"),
    ("fries", "chips"),
    ("candy", "sweets"),
    ("garbage", "rubbish"),
    ("trash", "rubbish"),
    ("gasoline", "petrol"),
    ("highway", "motorway"),
    ("downtown", "city centre"),
)


@lru_cache(maxsize=1)
def word_pairs() -> tuple[tuple[str, str], ...]:
    """Every (word, another word or phrase for it), in both directions."""
    out: dict[tuple[str, str], None] = {}
    for a, b in (*CHAT_WORDS, *US_UK_WORDS):
        out[(a, b)] = None
        out[(b, a)] = None
    return tuple(out)


_BY_STEM: dict[tuple[int, str], dict[str, tuple[tuple[str, ...], ...]]] = {}


def stem_bridges(analyzer: Analyzer, language: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Stem of a one-word term -> the stems of each other word or phrase for it, under
    this analyser and language (English only: the lists are English)."""
    key = (id(analyzer), language)
    found = _BY_STEM.get(key)
    if found is not None:
        return found
    table: dict[str, list[tuple[str, ...]]] = {}
    lang = (language or analyzer.default_language or "en").casefold()
    if lang.startswith("en"):
        for word, other in word_pairs():
            if " " in word:
                continue  # a question's terms are single words
            stems = analyzer.stem(analyzer.words(word), language)
            alt = tuple(analyzer.stem(analyzer.words(other), language))
            if len(stems) == 1 and alt and alt != tuple(stems):
                table.setdefault(stems[0], [])
                if alt not in table[stems[0]]:
                    table[stems[0]].append(alt)
    found = _BY_STEM[key] = {k: tuple(v) for k, v in table.items()}
    return found


def bridged_terms(terms: Iterable[str], analyzer: Analyzer, language: str = "") -> list[str]:
    """The stems of the other words for the one-word ``terms`` (for retrieval), without
    those already among them."""
    table = stem_bridges(analyzer, language)
    have = set(terms)
    out: list[str] = []
    for term in have:
        for alt in table.get(term, ()):
            out += [s for s in alt if s not in have and s not in out]
    return out
