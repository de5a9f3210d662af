"""The regular expressions that find temporal expressions in French sentences (data, no logic).

:mod:`narratif.timeline.expressions` applies them in order and decides each match's value
and year; the constants here say what counts as a year, an age, a date, a time counted from
another time or from the interview, and a period, and what does not (quantities, laws,
habits).
"""

from __future__ import annotations

import re

from narratif.timeline.numbers import NUMBER_WORD, NUMBER_WORDS

N = NUMBER_WORDS
MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
DECADES = "vingt|trente|quarante|cinquante|soixante|quatre-vingt"
SEASONS = "l'été|l'hiver|l'automne|au printemps|le printemps|printemps"
UNIT_YEARS = {"an": 1, "ans": 1, "année": 1, "années": 1}
UNIT_CODE = {"mois": "m", "semaines": "w", "jours": "d"}
PERIOD_YEARS = {"quatorze": 1914, " 14": 1914, "quarante": 1939, " 39": 1939, " 40": 1939, "libération": 1944,
                "occupation": 1940, "soixante-huit": 1968, "covid": 2020, "confinement": 2020, "pandémie": 2020}
#: The years just before and just after a war, the Occupation or the Covid (« avant / après la guerre de
#: quarante », « après le confinement »).
AROUND_PERIOD = {1914: (1913, 1919), 1939: (1938, 1946), 1940: (1939, 1945), 1944: (1943, 1945), 2020: (2019, 2021)}
#: A number followed by a unit or a counted noun is a quantity ("quarante voix", "mille personnes"), not a year.
#: « vingt ou trente ans », « de vingt à trente ans »: the unit may follow a second number.
NOT_QUANTITY = (rf"(?!(?:\s+(?:ou|à)\s+(?:{N}))?\s*"
                r"(?:%|€|pour ?cents?|ans?\b|années?|mois|semaines?|jours?|heures?|minutes?|secondes?|"
                r"personnes?|gens|habitants?|voix|votes?|euros?|francs?|salariés?|adhérents?|emplois?|élèves?|"
                r"enfants?|fois|kilo|km|mètres?|m²|m2\b|hectares?|places?|logements?|familles?|membres?|000|"
                r"bénévoles?|structures?|projets?|acteurs?|entreprises?|associations?))")
#: A year right after "loi (du ...) de", "décret", "article": a legal reference (« association loi de 1901 »,
#: « la loi du 31 juillet 2014 »), not an event of the story.
LEGAL_REFERENCE = re.compile(r"\b(?:loi|décret|ordonnance|circulaire|article|arrêté)(?:\s+[\w'-]+){0,4}\s+(?:de|du|n°)?\s*$",
                             re.IGNORECASE)

#: A bare school year (« en CE2 », « je suis passée en cinquième ») places a story only in a past
#: sentence, and not after a verb of going there in general (« il va entrer en sixième », « ils
#: arrivent en CP »).
SCHOOL_YEARS = (r"CP|CE1|CE2|CM1|CM2|sixième|cinquième|quatrième|troisième|seconde|terminale|maternelle|primaire|"
                r"prépa|classe prépa|fac|licence|master|BTS|IUT|apprentissage")
SCHOOL_YEAR = re.compile(rf"en (?:{SCHOOL_YEARS})\b", re.IGNORECASE)
DESTINATION = re.compile(r"\b(?:aller|va|vont|entrer|rentrer|passer|passent|arrivent|arrive|été|mettre|envoyer)\s*$",
                         re.IGNORECASE)

#: A clause told in the past right after a bare year: « quatre-vingt-deux j'ai quitté », « 1995 on est
#: arrivés », « soixante-huit moi j'étais au lycée » (a pronoun, then an auxiliary or an imparfait).
PAST_CLAUSE = (r"(?=,? (?:(?:moi|nous|lui|eux|elle)(?:,)? )?(?:j'|je |on |nous |il |elle |ils |elles )"
               r"(?:n'|ne )?(?:m'|t'|s'|l'|y |en |me |te |se |le |la |les |lui |leur |nous |vous )?"
               r"(?:ai|as|a|avons|avez|ont|suis|es|est|sommes|êtes|sont|\w+ais|\w+ait|\w+ions|\w+iez|\w+aient)\b)")
#: What may come before a bare year: the start of a sentence or of a clause.
CLAUSE_START = re.compile(r"(?:^|[,;:.!?]|\b(?:et|mais|donc|alors|bon|ben|bah|oui|non|puis|ensuite|voilà|bref|"
                          r"enfin|hein|quoi|fait|ouais|et puis))\s*$", re.IGNORECASE)
#: A second year coordinated with the one just found: « en 2013 et 2015 », « en 2013, 2014 et 2015 »,
#: « en quatre-vingt-dix-huit quatre-vingt-dix-neuf » (a hesitation between two years).
COORDINATED = re.compile(rf"(?P<sep>\s*,\s*(?:(?:et|ou|puis|voire)\s+)?|\s+(?:et|ou|puis|voire)\s+|\s+)"
                         rf"(?P<n>(?:1[5-9]\d\d|20\d\d)(?![\d/.,]\d)|(?![\d])(?>{N}))\b(?!\s?-\w){NOT_QUANTITY}",
                         re.IGNORECASE)

#: (kind, compiled pattern). Order matters: earlier kinds win on overlap.
PATTERNS: list[tuple[str, re.Pattern]] = [(k, re.compile(p, re.IGNORECASE)) for k, p in [
    ("decade", rf"\b(?:(?:dans |pendant |depuis )?les|des|(?:(?:à |vers )?la |le |au |en )?(?:fin|début|milieu) des)"
               rf" années (?P<n>{N}(?<! un)(?<! une)|\d\d(?:\d\d)?)\b"),
    ("age", rf"\b(?:(?:à|vers|jusqu'à) (?:peut-être |à peu près |environ )?(?:l'âge (?:de |d')|mes |ses |leurs |nos )?|"
            rf"(?:dès|depuis|avant|après|en) (?:l'âge (?:de |d')|mes |ses |leurs |nos ))"
            rf"(?P<n>{N})(?:(?: ou (?:à )?| à | )(?P<n2>{N}))? ans\b"),
    ("age", rf"\b(?:quand |lorsque )?(?:j'avais|il avait|elle avait|on avait|ils avaient|elles avaient|j'ai eu|"
            rf"(?:il|elle|on) a eu|(?:ils|elles) ont eu|(?-i:[A-ZÀ-Ý][\w-]+) a eu) (?P<n>{N})(?:(?: ou | à | )(?P<n2>{N}))? ans\b"),
    ("age", rf"\baux alentours de (?P<n>{N})(?: (?P<n2>{N}))? ans\b"),
    ("year", rf"\bde (?P<n>1[0-9]\d\d|20\d\d|{N}) à (?P<n2>1[0-9]\d\d|20\d\d|{N})\b{NOT_QUANTITY}"),
    ("year", rf"\bentre (?P<n>1[0-9]\d\d|20\d\d|{N}) et (?P<n2>1[0-9]\d\d|20\d\d|{N})\b{NOT_QUANTITY}"),
    # written ranges: « 1999-2004 : premier mandat », « le mandat 2014-2020 »
    ("year", rf"(?<![\d/.-])(?P<n>1[5-9]\d\d|20\d\d) ?[-–] ?(?P<n2>1[5-9]\d\d|20\d\d)(?![\d/.-]){NOT_QUANTITY}"),
    ("date", rf"\b(?:le )?(?P<d>{N}|premier|1er) (?P<m>{MONTHS})(?: (?P<n>{N}))?\b"),
    # the long spoken forms are years even without a preposition ("dix-neuf cent quarante-huit")
    ("year", rf"\b(?P<n>(?>(?:mille neuf cent|dix-neuf cent|deux mille(?![- ]une?\b))(?:[- ](?:et[- ](?=(?:un|une|onze)\b))?{NUMBER_WORD})+))"
             rf"\b{NOT_QUANTITY}"),
    ("year", rf"\b(?:en|depuis|jusqu'en|dès|vers|l'année|année|(?:{MONTHS}|{SEASONS})) (?P<n>(?>{N}))\b{NOT_QUANTITY}"),
    # written and long spoken years only: « de 1500 bénévoles », « jusqu'à quarante » are quantities
    ("year", rf"\b(?<!plus )(?<!moins )(?<!près )(?:de|avant|après|fin|début|jusqu'à|d'ici(?: à)?|à l'horizon|"
             rf"courant|l'an) "
             rf"(?P<n>1[0-9]\d\d|20\d\d|(?:mille|dix-neuf cent|deux mille)(?:[- ](?:et[- ](?=(?:un|une|onze)\b))?{NUMBER_WORD})*)"
             rf"\b{NOT_QUANTITY}"),
    # a chronology's entry or a chronicle's heading: « 2008 – création de la SCIC », « 1723 » alone on its line
    ("year", r"(?m)^[ \t]*(?P<n>1[5-9]\d\d|20\d\d)(?=[ \t]*(?:[:–—-][ \t]*[^\d\s]|$))"),
    # a publication's year closing a reference line: « Le Labo de l'ESS, 2024 », « RTES, 2016. » (not an
    # author-date citation in a sentence, « (Fraisie, 2018) »: it dates a source, not the story)
    ("year", r"(?<=, )(?P<n>1[89]\d\d|20\d\d)(?=[*_]*\.?[*_]*[ \t]*$)"),
    ("year", rf"\b(?:arrivée?s?|née?s?|partie?s?|venue?s?|mariée?s?) (?P<n>1[0-9]\d\d|20\d\d|"
             rf"(?:mille|dix-neuf cent|deux mille|{DECADES})(?:[- ](?:et[- ](?=(?:un|une|onze)\b))?{NUMBER_WORD})*)\b{NOT_QUANTITY}"),
    # a year said bare at the start of a clause told in the past: « quatre-vingt-deux j'ai quitté »
    ("year", rf"(?<![\w'-])(?P<bare>(?P<n>(?:1[89]\d\d|20[0-4]\d)(?![\d/.,]\d)|(?![\d])(?>{N}))){PAST_CLAUSE}"),
    # « le lendemain de la Communion », « sept ans après la création de la SCIC », « deux ans avant que Coluche
    # décède », « un mois avant moi »: counted from a named event, not from the last date said
    ("relative", r"\b(?P<evt2>le lendemain|la veille)(?= (?:de|du|des|d')\b)"),
    ("relative", rf"\b(?P<n>{N}|quelques|plusieurs) (?P<u>ans|années|mois|semaines|jours) (?P<evt>après|avant)"
                 r"(?= (?:la|le|les|l'|son|sa|ses|mon|ma|mes|notre|nos|leur|leurs|cette|ce|cet|que|qu'|"
                 r"moi|toi|lui|elle|nous|vous|eux|elles)\b)"),
    ("relative", rf"\b(?P<n>{N}|quelques|plusieurs) (?P<u>ans|années|mois|semaines|jours) (?:après|plus tard|avant|auparavant|plus tôt)\b"),
    # counted back from the interview (deictic): « il y a trente ans », « il y a huit, dix ans », « ça fait
    # deux ans qu'elle a fermé », « l'an dernier », « cette année »
    ("relative", rf"(?P<now>\b(?:il )?y a (?:(?:à peu près|environ|presque|peut-être|bien|déjà|facilement|au moins|"
                 rf"plus de|moins de|pratiquement|quasiment|à peine|de ça|de cela) )?"
                 rf"(?:quelque temps\b|(?:(?P<n>{N})(?:(?: ou|,| à| voire) (?P<n3>{N}))? |une (?:bonne )?"
                 r"(?P<approx>dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine|soixantaine) d'|"
                 r"quelques |plusieurs )(?:ans|années)\b)"
                 rf"|\bça fait (?P<n4>{N}) (?:ans|années)(?= (?:que |qu')?(?:j'|je |on |nous |il |elle |ils |elles )"
                 r"(?:\w+ )?(?:ai|a|avons|ont|suis|est|sommes|sont) (?!ici\b|là\b)"
                 r"\w{2,}(?:é|ée|és|ées|i|ie|is|ies|u|ue|us|ues|t|te|ts|tes)\b)"
                 r"|\b(?:l'an dernier|l'an passé|l'année dernière|l'année passée|l'année prochaine|"
                 r"cette année(?![- ]là| où)|l'(?:été|hiver|automne) dernier|le printemps dernier|la semaine dernière|"
                 r"le mois dernier|la semaine prochaine|le mois prochain|(?:il )?y a pas (?:si |très |trop )?longtemps)\b"
                 rf"|\bdans (?P<n2>{N}) ans\b)"),
    # the time the story has reached, said again (anaphoric): the antecedent's year
    ("relative", r"\b(?:l'année (?:d'après|suivante|précédente|d'avant|d'ensuite)|le lendemain|la veille|"
                 r"cette (?:même )?année[- ]là|(?<!pas )la même année|cette même année|l'année même|"
                 r"ce jour[- ]là|(?:ce mois|cet été|cet hiver|cet automne|ce printemps)[- ]là|à ce moment[- ]là|"
                 r"un an (?:après|plus tard)|au bout d'un an)\b"),
    # after or before a stage of life: « après mon bac », « avant de me marier »
    ("relative", r"\b(?:(?:juste |tout de suite |peu )?(?:après|avant|depuis) (?:la fin de )?(?:mon|ma|mes|son|sa|ses|notre|nos|"
                 r"leur|leurs|ton|ta|tes|votre|vos|le|la|les) "
                 r"(?:bac|baccalauréat|brevet|études|mariage|divorce|retraite|service(?: militaire)?|"
                 r"licence|diplôme|naissance|arrivée|départ|déménagement|premier enfant|premier boulot|"
                 r"premier travail)\b|"
                 r"\b(?:avant|après) (?:de )?(?:me|nous|se|m'|s') ?(?:marier|mariés?|installer|installés?)\b)"),
    ("relative", r"\b(?:(?:un (?:petit )?peu|beaucoup|quelque temps) (?:plus tard|après(?! (?:la|le|les|l'|son|sa|ses|mon|ma|mes)\b))|"
                 r"bien plus tard|(?:quelques|plusieurs) (?:jours|semaines|mois|années|ans) plus tard)\b"),
    ("period", r"\b(?:pendant |après |avant |depuis |dans |(?:à )?la fin de |au début de )?la (?:guerre(?: de (?:quatorze|"
               r"quarante|14|39|40)| d'algérie| d'indochine)?|libération|"
               r"occupation)\b|\ben (?:mai )?soixante-huit\b|\b(?:après|avant|depuis) (?:mai )?soixante-huit\b"
               r"|\b(?:juste )?(?:avant|après)[- ]guerre\b"
               r"|\b(?:(?:pendant|après|avant|depuis|avec) )?(?:le|la) (?:covid(?:-19)?|confinement|pandémie)\b"
               r"|\b(?:quand j'étais|quand on était) (?:petite?s?|jeunes?|plus jeunes?|gamine?s?|enfants?|étudiante?s?|"
               r"adolescente?s?|au lycée|au collège|à l'école(?: primaire)?|à la fac|en fac)\b"
               r"|\b(?:quand|lorsque) (?:je suis|on est|nous sommes) (?:arrivée?s?|venue?s?)(?: (?:ici|en france)\b)?"
               r"|\b(?:pendant|durant|dans|toute) (?:mon|ma|mes|son|sa|ses|notre|leur) (?:enfance|jeunesse|études|"
               r"adolescence|scolarité|vie active|carrière)\b"
               r"|\b(?:(?:(?:quand |lorsque )?(?:j'étais|il était|elle était|on était|nous étions|ils étaient|"
               rf"elles étaient)|c'était|déjà) )?en (?:{SCHOOL_YEARS})\b"
               r"|\b(?:quand|lorsque|depuis que) (?:j'étais|on était|nous étions|il était|elle était|je suis|"
               r"j'suis|on est) (?:tout |toute )?"
               r"(?:bébé|petite?|gamine?|célibataire|lycéenne?|collégienne?|étudiante?|apprentie?|ado)\b"
               r"|\b(?:à l'époque|à cette époque(?:-là)?|à mon époque|de mon temps|en ce temps[- ]là|dans le temps)\b"
               r"|\b(?:quand|lorsque) (?:je|j'|on|nous|il|elle|ils|elles) ?(?:me |m'|nous |s'|se )?"
               r"(?:suis|est|sommes|sont|ai|a|avons|ont) (?:\w+ )?"
               r"(?:arrivée?s?|partie?s?|venue?s?|née?s?|mariée?s?|installée?s?|rencontrée?s?|"
               r"rencontré|quitté|commencé|changé|perdu|eu(?= (?:mon|ma|mes|son|sa|ses|leur|leurs|notre|nos|le|la|les|"
               r"l'|un|une|deux|trois)\b)|fini|terminé|déménagé|emménagé|divorcée?s?|retraitée?s?|pris (?:ma|sa|leur) retraite)\b"
               r"(?: (?:de chez|chez|de|d'|à|au|mon|ma|mes|son|sa|ses|leur|leurs|notre|nos|le|la|les|l'|un|une)"
               r"(?: (?:mes|mon|ma|ses|son|sa|leurs?|nos|notre|les|le|la))?\s?(?:premiers? |premières? |deux |trois )?"
               r"[\w'-]+)?"
               r"|\ben (?:me |nous |se )mariant\b|\ben déménageant\b|\ben (?:arrivant|partant)(?= (?:ici|à|en|au|aux|de|du|chez|"
               r"dans)\b)|\ben quittant (?:mes|ma|mon|nos|notre|la|le|l')\b"),
    ("duration", rf"\b(?:pendant|depuis|ça fait) (?P<n>{N}|quelques|plusieurs) (?P<u>ans|années|mois)\b"),
    # a month or a season without a day (« en juillet », « au mois d'août », « l'été soixante-deux » is a year above)
    ("date", rf"\b(?:en|au mois d[e']|(?:dès |pendant |durant |tout )?le mois d[e']|au début d[e']|à la fin d[e']|fin|début|mi-) ?(?P<m>{MONTHS})\b"
             rf"|\b(?:en été|en hiver|en automne|au printemps|cet été|cet hiver|cet automne|ce printemps)\b"),
]]

FUTURE_MARKERS = re.compile(r"\b(?:demain|plus tard|bientôt|l'année prochaine|à l'avenir|je vais|on va|"
                            r"nous allons|ils vont|il va|elle va)\b", re.IGNORECASE)
PAST_MARKERS = re.compile(r"\b(?:autrefois|à l'époque|avant|quand j'étais|dans le temps|jadis|"
                          r"il y a \S+ ans)\b", re.IGNORECASE)
PRESENT_MARKERS = re.compile(r"\b(?:maintenant|aujourd'hui|actuellement|en ce moment|de nos jours|"
                             r"à présent)\b", re.IGNORECASE)

#: Transcription markup ("[pause]", "[lex=NP]", "+", "[?]"), word fragments ("s-", "t-"), "euh" and
#: the hedges "disons", « je dirais », « on va dire » interrupt an expression ("jusqu'à [pause] vingt ans",
#: "mille neuf cent s- quarante sept", "dans les années disons soixante-quinze").
NOISE = r"\[[^\]\n]{0,40}\]|(?<![\w-])\w{1,3}-(?=\s)|(?<=\s)\+(?=\s)|\b(?:euh|disons|je dirais|on va dire)\b"
#: A text as noise, whitespace runs and the rest (word runs, single other characters).
TOKENS_RE = re.compile(rf"(?P<noise>{NOISE})|(?P<space>\s+)|\w+|[^\w\s]", re.IGNORECASE)

#: A word every pattern needs one of (a cheap first look before the full patterns).
TRIGGER_RE = re.compile(
    rf"\d|\b(?:{NUMBER_WORD}|années?|ans|mois|semaines|jours|âge|{MONTHS}|guerre|libération|occupation|"
    r"tard|tôt|après|avant|auparavant|lendemain|veille|jour[- ]là|moment[- ]là|quand|lorsque|pendant|"
    r"précédente|suivante|dernière|prochaine|premier|1er|dernier|époque|enfance|jeunesse|adolescence|"
    r"scolarité|carrière|hiver|automne|printemps|mariant|arrivant|partant|quittant|déménageant|longtemps|"
    r"CP|CE1|CE2|CM1|CM2|sixième|cinquième|quatrième|troisième|seconde|terminale|maternelle|primaire|prépa|"
    r"fac|licence|master|BTS|IUT|apprentissage|covid|confinement|pandémie|"
    r"études|mariage|naissance|divorce|retraite|bac)\b"
    # frequent words only in the phrases that make them temporal (« a été », « la vie », « le temps de »)
    r"|\b(?:l'|en |cet )été\b|\bl'an\b|\b(?:mon|ce|le|quelque) temps\b|\bdepuis que\b",
    re.IGNORECASE)

#: What a speaker says between a year and its correction: « en deux mille treize en oui en deux
#: mille six », « en soixante-dix non soixante-douze », « en quatre-vingt pardon en quatre-vingt-un ».
CORRECTION_GAP = re.compile(
    r"\s*(?:[,;]\s*)?(?:(?:en|non|oui|pardon|enfin|ou plutôt|plutôt|je veux dire|je crois)\b\s*,?\s*)+", re.IGNORECASE)

APPROX = {"dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30, "quarantaine": 40,
          "cinquantaine": 50, "soixantaine": 60}
