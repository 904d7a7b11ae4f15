"""The words and shapes story mode reads a page by: embed markup, the names sites give their
boxes, the lines that introduce related reading or ask to subscribe, the headings of a list of
sources, and the addresses of listing, author, account and share pages. Kept apart from the
reading itself (citation_region) so that a new language or platform is one line here.

Every list is of words a person recognises, in several languages; none names a site.
"""

from __future__ import annotations

import re

# Embedded posts: the markup the platforms' embed codes write (and their no-script fallbacks).
EMBED_CLASS = re.compile(
    r"twitter-tweet|twitter-video|instagram-media|tiktok-embed|bluesky-embed|fb-post|fb-video"
    r"|mastodon-embed|threads-embed|text-post-media|reddit-embed|linkedin-embed"
    r"|embed-(?:tweet|twitter|"
    r"instagram|tiktok|facebook|bluesky|social)|social-embed", re.IGNORECASE)
EMBED_ATTRS = ("data-instgrm-permalink", "cite", "data-href", "data-bluesky-uri",
                "data-embed-url", "data-url")
EMBED_SUFFIX = re.compile(r"/embed/?$")
PERMALINK = re.compile(
    r"//(?:www\.|mobile\.)?(?:twitter\.com|x\.com)/[^/]+/status(?:es)?/\d+"
    r"|//(?:www\.)?instagram\.com/(?:[^/]+/)?(?:p|reel|tv)/[\w-]+"
    r"|//(?:www\.)?tiktok\.com/@[^/]+/video/\d+"
    r"|//(?:www\.|m\.|web\.|graph\.)?facebook\.com/.+/(?:posts|videos|photos|permalink)"
    r"|//(?:www\.|m\.)?facebook\.com/(?:permalink\.php|story\.php|watch)"
    r"|//bsky\.app/profile/[^/]+/post/\w+"
    r"|//(?:www\.)?threads\.(?:net|com)/@[^/]+/post/"
    r"|//(?:www\.)?reddit\.com/r/[^/]+/comments/"
    r"|//(?:www\.)?linkedin\.com/(?:posts|feed/update)/"
    r"|//(?:www\.)?youtube\.com/watch|//youtu\.be/"
    r"|//[^/]+/@[\w.]+/\d{6,}",  # a Mastodon status
    re.IGNORECASE)

# Boxes a site names for what they are (class and id words), inside the article or out.
BOX_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"related|recommend|more-?stories|more-?from|read-?next|read-?more|also-?read"
                r"|further-?stories|trending|popular|most-?read|recirc|outbrain|taboola"
                r"|teaser|you-?may|dont-?miss|zum-?thema|a-?lire|lire-?aussi|weitere"),
     "a box of related stories"),
    (re.compile(r"newsletter|subscri|signup|sign-?up|paywall|promo|follow|abonn|cta\b"
                r"|hs-cta|donat"), "a newsletter, subscribe or follow promo"),
    (re.compile(r"share|sharing|social-?(?:bar|links|icons|buttons)|sharer|addthis"),
     "a share bar"),
    (re.compile(r"\btags?\b|tag-?list|tag-?cloud|tags?-|topics|keywords|kicker|rubri|eyebrow"
                r"|section-?tag|group-?labels|labels"),
     "a tag or topic list"),
    (re.compile(r"byline|author|\bbio\b|writer|contributor|journalist|identite"),
     "the byline or author box"),
    (re.compile(r"comment|discussion|disqus|replies"), "comments"),
    (re.compile(r"breadcrumb"), "breadcrumbs"),
    (re.compile(r"cookie|consent|gdpr"), "a cookie notice"),
    (re.compile(r"\b(?:ad|ads|advert\w*|sponsor\w*|affiliate)\b"), "an advertisement"),
    (re.compile(r"(?:^|[\s_-])(?:nav|menu)|navigation|navbar|navtree|sitemap"), "navigation"),
    (re.compile(r"rollover|hovercard|tooltip|popover"), "a hover card"),
    # a column beside the article (a blog's description and blogroll, a rail of widgets)
    (re.compile(r"sidebar|side-?bar|(?:^|[\s_-])(?:right|left|side)-?rail(?:$|[\s_-])"),
     "a side box"),
    # the cards of the story before and after this one in the site's order
    (re.compile(r"next-?prev|prev(?:ious)?-?next|pagination|(?:^|[\s_-])pager(?:$|[\s_-])"),
     "the links to the previous and next stories"),
    # "If you buy through our links we may earn…", "Follow us at…": the outlet's own notes
    (re.compile(r"disclaimer|disclosure"), "a disclosure note"),
)
# A box that plays the outlet's own video (its links go to the video's page on the site).
VIDEO_BOX = re.compile(r"video-?(?:player|container|box|wrap\w*|module|promo)|featured-?video"
                       r"|jwplayer|vjs-|brightcove", re.IGNORECASE)
# Query parameters that ask for another page or view of the same story, not another story.
VIEW_QUERY_KEYS = frozenset({"p", "page", "pg", "paged", "pagina", "seite", "print", "printable",
                             "view", "output", "amp", "outputtype", "comments", "comment-page",
                             "showall", "full", "singlepage", "lang", "hl", "sort", "replytocom"})
# Link text that is an e-mail address: a contact line ("Contact: desk@example.org").
# An element placed far off the screen by its inline style (left: -9999px, text-indent:
# -10000px): the old trick that hides links from readers but not from search engines.
OFFSCREEN_STYLE = re.compile(
    r"(?:left|top|right|text-indent|margin-left|margin-top)\s*:\s*"
    r"-(?:\d{4,}(?:\.\d+)?px|\d{3,}(?:\.\d+)?r?em)", re.IGNORECASE)
EMAIL_TEXT = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")

# A line or heading that introduces links as related reading, in several languages.
RELATED_WORDS = (
    r"related|more stories|more from|more on|more great|more news|read more|read next|read also"
    r"|also read|recommended|you may also|you might also|don'?t miss|most read|most popular"
    r"|trending|see also|see more|further stories|top stories|latest news|in other news|watch:"
    r"|also on\b"
    r"|around the web|elsewhere on the web|from the web|ailleurs sur le web|aus dem netz|also:"
    r"|read:|more:|lire aussi|à lire aussi|a lire aussi|lire :|lire:|voir aussi|sur le même sujet"
    r"|les plus lus|revivez|à voir aussi|lesen sie auch|lesen sie mehr|mehr zum thema"
    r"|mehr dazu|mehr:|siehe auch|auch interessant|das könnte sie auch|weitere artikel"
    r"|meistgelesen|weiterlesen"
    r"|leer más|lea también|lee también|te puede interesar|noticias relacionadas|relacionad"
    r"|más noticias|leia também|leia mais|veja também|notícias relacionadas|leggi anche"
    r"|potrebbe interessarti|čtěte také|přečtěte si|czytaj także|lees ook|läs också"
    r"|explore further|learn more:")
# ... as a line's label: followed by a colon or an arrow (or the line is mostly its link).
RELATED_LINE = re.compile(rf"^\W{{0,3}}(?:{RELATED_WORDS})\s*[:»›→|–—>]", re.IGNORECASE)
RELATED_START = re.compile(rf"^\W{{0,3}}(?:{RELATED_WORDS})", re.IGNORECASE)
RELATED_HEADING = re.compile(rf"^\W{{0,3}}(?:{RELATED_WORDS})", re.IGNORECASE)
# A label for links others paid for or picked by a widget, not the story's own reading.
PAID_LABEL = re.compile(r"web|netz|sponsor|promot|partner|advert|anzeige|publicit|paid",
                        re.IGNORECASE)
# Lines that ask the reader to subscribe, sign up or follow.
PROMO = re.compile(
    r"(?:^|[.!?]\s+|\band\s+)(?:\W{0,2})(?:subscribe|sign up|follow|join our|get our"
    r"|download our|abonnieren sie|jetzt abonnieren|folgen sie|abonnez-vous|inscrivez-vous"
    r"|suivez|suscríbete|síguenos|assine|inscreva-se|siga|iscriviti|seguici|odebírejte"
    r"|sledujte)\b"
    r"|\b(?:follow (?:us|@)|sign up for|subscribe now|newsletter bestellen"
    r"|(?:get|download) (?:the|our) [\w ]{0,30}\bapp\b|app (?:herunterladen|downloaden)"
    r"|télécharge[zr] (?:l'|notre )app|jetzt registrieren|register now|inscrivez-vous"
    r"|(?:make|consider making) a donation|donate now|support (?:our|independent) journalism"
    r"|tell us what you think|your feedback|\d+ issues for|delivered (?:to|through) your"
    r" (?:door|letterbox|letter box|inbox)"
    r"|send us (?:a|your) (?:tip|story)|report an? (?:error|typo)|fehler gefunden"
    # "Receba em seu email nosso ebook", "get it in your inbox": a sign-up, however worded
    r"|(?:receba|recevez|recibe|ricevi|receive|erhalten sie)\b[^.!?]{0,30}\b(?:em |no |na |in"
    r" |dans |en )?(?:seu|sua|your|votre|tu|tua|ihr\w*) (?:e-?mail|inbox|caixa de entrada"
    r"|boîte (?:mail|de réception)|bandeja de entrada|posteingang|postfach)"
    r"|\bget\b[^.!?]{0,30}\b(?:in|into|to) your inbox"
    r"|signaler une erreur"
    r"|(?:click|tap) here to (?:subscribe|sign up|register|join|download)"
    # a broadcaster's own programme: "Listen to Newsbeat live at 12:45 - or listen back here"
    r"|listen (?:to [\w' ]{1,40} )?live\b|listen back\b|watch (?:it |us )?live\b)"
    # app downloads where words are not parted by spaces (Chinese, Japanese, Korean)
    r"|(?:下[載载]|安[裝装])\s*app|app\s*下[載载]|앱\s*(?:다운로드|설치)|アプリ(?:を)?(?:ダウンロード|インストール)",
    re.IGNORECASE)
# A line that labels the links after it as the story's tags or topics.
TAG_LINE = re.compile(
    r"^\W{0,3}(?:tags?|tagged|topics?|keywords?|themen|thema|schlagw[oö]rte?|stichw[oö]rter"
    r"|mots[- ]cl[ée]s|sujets?|étiquettes|etiquetas|temas|palavras[- ]chave|argomenti"
    r"|parole chiave|tagi|štítky|témata|trefwoorden)\s*[:»›|]", re.IGNORECASE)
# The outlet's pages about its own standards, linked under a story.
STANDARDS_TEXT = re.compile(
    r"\b(?:trust principles|editorial (?:standards|guidelines|policy)|ethics (?:policy|statement"
    r"|code)|why you can trust|our standards|corrections policy|redaktionelle richtlinien"
    r"|charte (?:éditoriale|de déontologie))\b", re.IGNORECASE)
# The outlet's own service of reuse: licensing and reprints of this story, not a source of it.
REUSE_TEXT = re.compile(
    r"^\W{0,3}(?:reuse this (?:content|article|story)|republish this (?:article|story)"
    r"|(?:buy |order )?reprints?(?: (?:&|and) permissions)?|licen[cs]e this (?:article|story"
    r"|content)|nutzungsrechte(?: erwerben)?|droits de reproduction)\W{0,3}$", re.IGNORECASE)
# A note of where else the story was published after: a copy elsewhere, not its source
# ("This article was reprinted on Wired.com").
REPRINT_NOTE = re.compile(
    r"\b(?:was|is|has been|been) (?:also )?(?:reprinted|republished|syndicated|re-?posted)"
    r" (?:on|in|by|at|with)\b", re.IGNORECASE)
# A line that gives an address to write to: "Contact Dear Abby at www.DearAbby.com or P.O.
# Box 69440", "Write to Jane Doe at jane@example.com", a sentence of a column's footer). The
# site named is where to write.
CONTACT_LINE = re.compile(
    r"(?:^|[.!?]\s+)\W{0,3}(?:contact|write to|e-?mail|reach|kontakt(?:ieren sie)?|écrivez à"
    r"|escriba a)\b[^.!?]{0,60}?\b(?:at|an|à|a|via)\s+(?:www\.|https?://|[\w.+-]+@"
    r"|[\w-]+\.(?:com|org|net|[a-z]{2})\b)", re.IGNORECASE)
# A line that offers the outlet's own programme to hear or keep ("Listen: <link>", "iTunes:
# <link>", "Download: <link>" under a podcast): the story itself, not a source of it.
OWN_MEDIA_LINE = re.compile(
    r"^\W{0,3}(?:listen|download|itunes|apple podcasts|spotify|stitcher|google podcasts|acast"
    r"|soundcloud|écouter|anhören|hören|ouvir|escuchar|ascolta)\s*[:：]", re.IGNORECASE)
# A word the site's software linked by itself to an entry of a database of companies and
# people (a class or data attribute names the widget): no more the story's source than a tag.
ENTITY_LINK_CLASS = re.compile(r"crunchbase|entity-?link|auto-?link|autolink", re.IGNORECASE)
# A sports site's page of a player or a team (plural "teams": a lab's or a company's /team/
# page is its people, a source), linked on the name ("Myles Garrett" to
# /nfl/players/286147/myles-garrett), often by the site's software: a reference entry, like a
# topic page, whichever site of a network holds it.
ROSTER_PATH = re.compile(r"/(?:players?|teams|athletes?|spieler|mannschaften|joueurs?"
                         r"|equipes|jugadores|equipos|jogadores|times|giocatori|squadre)/",
                         re.IGNORECASE)
# An offer to subscribe, by its address ("/all-about-space-magazine-subscription/").
# A folder named for the offer, or ending in it: a story about subscriptions
# ("/2019/11/subscription-economy-booms") is not one.
# ... or by its host (newsletter.example.com/join/free).
SUBSCRIPTION_HOST = re.compile(r"^(?:newsletters?|subscribe|subscriptions?|abo)\.",
                               re.IGNORECASE)
SUBSCRIPTION_PATH = re.compile(r"(?:/|-)(?:subscriptions?|subscribe|abonnements?|abo)(?:/|$|\.)",
                               re.IGNORECASE)
# A same-site gallery of pictures, by its address.
GALLERY_PATH = re.compile(r"/(?:gallery|galleries|slideshows?|photo-?gallery|fotogalerie"
                          r"|bildergalerie|galerie|galeria)/", re.IGNORECASE)
# A link that opens a gallery or slideshow of pictures: the outlet's own pictures, not a source.
GALLERY_TEXT = re.compile(
    r"^\W{0,3}(?:(?:see|view|open|browse) (?:the )?(?:full |whole |entire |all )?"
    r"(?:gallery|slideshow|photo gallery|photos|pictures)|(?:zur|alle) (?:bildergalerie|bilder)"
    r"|bildergalerie|voir (?:la|le) (?:galerie|diaporama)|ver (?:a )?(?:galería|galeria|fotos)"
    r"|vedi (?:la )?(?:gallery|galleria|fotogallery))\W{0,3}$", re.IGNORECASE)
# A headline cut short to fit a card ("Best gifts for co-workers under $50 on A..."): a teaser.
CUT_HEADLINE = re.compile(r"\w(?:\.\.\.|…)\s*$")
# The link to the story before or after this one in the site's order.
PAGER_TEXT = re.compile(
    r"^\W{0,3}(?:next|previous|prev|older|newer|nächster|vorheriger|nächste|vorherige"
    r"|suivant|précédent|siguiente|anterior|próxim[oa]|successivo|precedente)"
    r"(?: (?:\w+ ){0,2}(?:story|article|post|news|artikel|beitrag|article|noticia|notícia"
    r"|articolo))?\W{0,3}$"
    r"|^\W{0,3}(?:\w+ ){0,2}(?:story|article|post|news)\W{0,3}(?:next|previous)\W{0,3}$",
    re.IGNORECASE)
# Landmarks inside an article that hold no citations (a "Sources" box is found before these).
BOX_TAGS = {"nav": "navigation", "aside": "a side box", "header": "the article's header",
             "footer": "the article's footer", "form": "a form", "menu": "a menu"}
BOX_ROLES = {"navigation": "navigation", "complementary": "a side box",
              "contentinfo": "the page footer", "banner": "the page header"}
# A heading that introduces the article's own list of sources.
SOURCES_HEADING = re.compile(
    r"^\W{0,3}(?:our )?(?:sources?|references?|further reading|bibliography|works cited"
    r"|citations|notes and sources|sources and notes|footnotes|documents|read the (?:report|"
    r"document|study|filing)s?|quellen(?:angaben)?|quelle|literatur|weiterführende links"
    r"|einzelnachweise|références|bibliographie|pour aller plus loin|fuentes|referencias"
    r"|bibliografía|fontes|referências|fonti|bibliografia|zdroje|źródła|bronnen|källor)"
    r"\W{0,3}$", re.IGNORECASE)
# A line that credits where the story (or its picture) comes from: "Source: <outlet>",
# "Fonte: IG Mulher", "Originally published at …". The outlet named there is a source even
# when the line sits under the article's text, past the main text (a syndicated story's
# credit).
CREDIT_LINE = re.compile(
    r"^\W{0,3}(?:(?:source|fonte|quelle|fuente|fonti|zdroj|źródło|bron|källa|via)\s*[:：]"
    r"|(?:originally|first) published (?:on|in|at|by)\b|this (?:story|article) (?:was )?(?:first "
    r"|originally )?(?:appeared|published) (?:on|in|at|by)\b|publicado originalmente (?:em|en"
    r"|por)\b|publié (?:initialement|à l'origine|d'abord) (?:sur|dans|par)\b"
    r"|(?:zuerst |ursprünglich )?erschienen (?:bei|in|auf)\b)", re.IGNORECASE)
# ... and the label right before the credited outlet's link, in the languages that write it
# after a date on the same line ("2017-03-10 09:58 来源：网易科学人").
CREDIT_LABEL = re.compile(r"(?:^|\W)(?:source|fonte|quelle|fuente|fonti|zdroj|źródło|via|来源"
                          r"|來源|出处|出處|出典|出所|출처)\s*[:：]\s*$", re.IGNORECASE)
SOURCES_CLASS = re.compile(r"(?:^|[\s_-])(?:sources?|references?|footnotes|bibliograph\w*"
                            r"|citations|quellen|einzelnachweise)(?:$|[\s_-])", re.IGNORECASE)
# Pages that list a site's stories on a topic, by a person, or share this page.
TAG_PATH = re.compile(
    # ("/en-tag/software": a language's own tag folder)
    r"/(?:[a-z]{2}[-_])?(?:tags?|topics?|themen|thema|schlagw(?:ort|orte)|stichw(?:ort|orte)|t|sujets?"
    r"|etiquetas?|temas?|rubri[ck]\w*|category|categories|categorie|kategorie|subjects?"
    r"|dossiers?|label|keyword|keywords|columns?|kolumnen?|series|serie|section)/",
    re.IGNORECASE)
# ... or, on sites that list by query, a listing's parameter (noticias.php?tag=agua, ?cat=19).
TAG_QUERY = re.compile(r"(?:^|&)(?:tags?|topics?|cat|cats|category|categories|categoria"
                       r"|categorie|kategorie|keywords?|schlagwort|assunto|tema|thema"
                       r"|rubrique|label)=[^&]", re.IGNORECASE)
# Where sites keep documents: a link there is a document (a source), not a teaser of a story.
# (A "media" or "assets" folder alone says nothing: sites file stories and banners there too;
# a document there ends in a document's extension.)
# An issue tracker's entry or list (Bugzilla's show_bug.cgi, /issues/123, /pull/45) is a
# record the story reports on, however its links are laid out.
DOCUMENT_PATH = re.compile(
    r"/(?:documents?|dokumente?|docs|downloads?|attachments?)/"
    r"|\.(?:pdf|docx?|xlsx?|csv|pptx?|odt|ods|txt|json|xml|zip)$"
    r"|/(?:show_bug|buglist)\.cgi$|/(?:issues|pull|merge_requests|bugs?)/\d+/?$", re.IGNORECASE)
# A social network's page of every post with a hashtag, or of a search: a topic, not a post.
HASHTAG_PAGE = re.compile(
    r"//(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:hashtag/|search\b)"
    r"|//(?:www\.)?instagram\.com/explore/tags/"
    r"|//(?:www\.)?facebook\.com/hashtag/"
    r"|//(?:www\.)?tiktok\.com/tag/"
    r"|//(?:www\.)?linkedin\.com/feed/hashtag/"
    r"|//bsky\.app/hashtag/",
    re.IGNORECASE)
IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|tiff?)$", re.IGNORECASE)
HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.php", "/home",
                         "/home/"})
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
BRACKETED = re.compile(r"^[\[(].*[\])]$")
# The site's own tracking of where a link was placed: a related-stories module.
RELATED_QUERY = re.compile(r"related|recirc|read_?more|more_?on|you_?may|recommend"
                            r"|most_?popular|trending|morein", re.IGNORECASE)
SUBSCRIBE_QUERY = re.compile(r"sub_confirmation|(?:^|&)subscribe=", re.IGNORECASE)
# The site's own feed, a printable view of a page, and a licence's terms: no sources.
FEED_PATH = re.compile(r"/(?:feed|rss|atom)(?:/(?:rss2?|atom))?/?$|\.(?:rss|atom)$",
                       re.IGNORECASE)
PRINT_PATH = re.compile(r"/(?:print|wprm_print|drucken)/", re.IGNORECASE)
# A reference list's lookups of each work in a scholarly index (its "Google Scholar", "CAS"
# and "MathSciNet" links): searches for the work, beside the links to the work itself. (A
# story that links a web search as what it refers to cites it.)
SEARCH_URL = re.compile(r"//scholar\.google\.[a-z.]+/|//chemport\.cas\.org/"
                        r"|//(?:www\.)?ams\.org/mathscinet-getitem\b", re.IGNORECASE)
# A host's hiding of an e-mail address from robots (Cloudflare): a contact, not a source.
EMAIL_PROTECTION_PATH = re.compile(r"^/cdn-cgi/l/email-protection\b")
LICENCE_URL = re.compile(r"//(?:www\.)?creativecommons\.org/(?:licenses|publicdomain)/",
                         re.IGNORECASE)
# A person's page on a social platform (not a post of theirs).
SOCIAL_PROFILE = re.compile(
    r"^https?://(?:www\.|m\.|mobile\.)?(?:twitter\.com|x\.com|facebook\.com|instagram\.com"
    r"|threads\.(?:net|com)|tiktok\.com|youtube\.com|linkedin\.com|bsky\.app"
    r"|pinterest\.(?:com|[a-z]{2}|co\.uk))"
    r"/(?:@|in/|user/|channel/|c/|profile/)?[\w.@-]+/?(?:[?#].*)?$", re.IGNORECASE)
# Link text that is an account's handle: "@name", ".@name", "@name:" (a right-to-left mark
# may lead it, as a quoted post copies it).
HANDLE_TEXT = re.compile(r"^[^\w@]{0,2}@\w[\w.]*:?$")
# A post quoted as text: "@name: what they wrote".
QUOTED_POST = re.compile(r"@\w+:\s")
YEAR = re.compile(r"(?:19|20)\d\d")
# The site's own pages about itself, by their usual link text.
SERVICE_TEXT = re.compile(
    r"^(?:about(?: us)?|contact(?: us)?|privacy(?: policy)?|terms(?: of (?:use|service))?"
    r"|cookie (?:policy|settings)|advertise(?: with us)?|careers|impressum|datenschutz\w*"
    r"|kontakt|über uns|mentions légales|qui sommes-nous|nous contacter|contacto|aviso legal"
    r"|quiénes somos|política de privacidad|fale conosco|quem somos|chi siamo|contatti"
    r"|o nás|kontakty|disclaimer|haftungsausschluss|avertissement|aviso)$", re.IGNORECASE)
TAG_HOST = re.compile(r"^topics?\.", re.IGNORECASE)
# The folders where a site keeps its reference entries (a wiki, a glossary, an encyclopedia, an
# A-to-Z of guides): a word of the story linked to the site's entry about it, not reporting.
# (Another site's wiki page cited in the text is that site's: judged by where it sits.)
REFERENCE_PATH = re.compile(
    r"/(?:wiki|wikis|glossary|glossar|lexikon|lexicon|encyclopedia|encyclopaedia|enzyklopaedie"
    r"|dictionary|w[oö]rterbuch|dictionnaire|diccionario|dicion[aá]rio|a-z|a-to-z|[\w-]*guides?"
    r")/", re.IGNORECASE)
AUTHOR_PATH = re.compile(r"/(?:author|authors|writer|writers|autor|autoren|auteur|auteurs"
                          r"|journaliste|journalist|staff|bio|profile|redaktion|redakteur)/",
                          re.IGNORECASE)
SHARE_URL = re.compile(
    r"//(?:[\w-]+\.)*(?:twitter\.com|x\.com)/(?:intent|share)"
    r"|//(?:[\w-]+\.)*facebook\.com/(?:sharer|dialog/share|share)"
    r"|//(?:[\w-]+\.)*linkedin\.com/(?:shareArticle|sharing)"
    r"|//(?:[\w-]+\.)*reddit\.com/submit|//(?:[\w-]+\.)*pinterest\.\w+/pin/create"
    r"|//api\.whatsapp\.com/send|//wa\.me/|//t(?:elegram)?\.me/share|//plus\.google\.com/share"
    r"|//(?:[\w-]+\.)*addthis\.com/|//(?:[\w-]+\.)*flipboard\.com/bookmarklet"
    r"|//(?:www\.)?tumblr\.com/(?:share|widgets)|//news\.ycombinator\.com/submitlink"
    r"|//(?:[\w-]+\.)*xing\.com/(?:spi/shares|social/share|social_plugins/share)",
    re.IGNORECASE)
ACCOUNT_PATH = re.compile(r"/(?:login|log-in|signin|sign-in|register|logout|account|"
                           r"subscribe|newsletters?|abo|promos?|promotions?|search|search_form"
                           r"|suche|recherche"
                           r"|buscar|contact|kontakt|impressum|privacy(?:-?policy|-notice)?"
                           r"|datenschutz(?:erkl(?:ae|ä)rung|hinweise?)?"
                           r"|payments?|paiements?|paiment|inscription|donate|spenden"
                           r"|unterst(?:ue|ü)tzen)(?:/|$|\?)",
                           re.IGNORECASE)
