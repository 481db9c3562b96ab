//! The common named character references (HTML 4 set plus a few), packed like the full
//! table; used when the `html5-entities` feature is off to save ~10 KB of gzipped wasm.

/// Common named character references (without `&`/`;`), packed as `name;value\0`, sorted.
pub(crate) const PACKED: &str = concat!(
    "AElig;Æ\0AMP;&\0Aacute;Á\0Acirc;Â\0Agrave;À\0Alpha;Α\0Aring;Å\0Atilde;Ã\0Auml;Ä\0Beta;Β\0",
    "COPY;©\0Ccedil;Ç\0Chi;Χ\0Dagger;‡\0Delta;Δ\0ETH;Ð\0Eacute;É\0Ecirc;Ê\0Egrave;È\0",
    "Epsilon;Ε\0Eta;Η\0Euml;Ë\0GT;>\0Gamma;Γ\0Iacute;Í\0Icirc;Î\0Igrave;Ì\0Iota;Ι\0Iuml;Ï\0",
    "Kappa;Κ\0LT;<\0Lambda;Λ\0Mu;Μ\0Ntilde;Ñ\0Nu;Ν\0OElig;Œ\0Oacute;Ó\0Ocirc;Ô\0Ograve;Ò\0",
    "Omega;Ω\0Omicron;Ο\0Oslash;Ø\0Otilde;Õ\0Ouml;Ö\0Phi;Φ\0Pi;Π\0Prime;″\0Psi;Ψ\0QUOT;\"\0",
    "REG;®\0Rho;Ρ\0Scaron;Š\0Sigma;Σ\0THORN;Þ\0Tau;Τ\0Theta;Θ\0Uacute;Ú\0Ucirc;Û\0Ugrave;Ù\0",
    "Upsilon;Υ\0Uuml;Ü\0Xi;Ξ\0Yacute;Ý\0Yuml;Ÿ\0Zeta;Ζ\0aacute;á\0acirc;â\0acute;´\0aelig;æ\0",
    "agrave;à\0alefsym;ℵ\0alpha;α\0amp;&\0and;∧\0ang;∠\0apos;'\0aring;å\0asymp;≈\0atilde;ã\0",
    "auml;ä\0bdquo;„\0beta;β\0brvbar;¦\0bull;•\0cap;∩\0ccedil;ç\0cedil;¸\0cent;¢\0check;✓\0",
    "chi;χ\0circ;ˆ\0clubs;♣\0cong;≅\0copy;©\0crarr;↵\0cross;✗\0cup;∪\0curren;¤\0dArr;⇓\0",
    "dagger;†\0darr;↓\0deg;°\0delta;δ\0diams;♦\0divide;÷\0eacute;é\0ecirc;ê\0egrave;è\0",
    "empty;∅\0emsp;\u{2003}\0ensp;\u{2002}\0epsilon;ε\0equiv;≡\0eta;η\0eth;ð\0euml;ë\0euro;€\0",
    "exist;∃\0fnof;ƒ\0forall;∀\0frac12;½\0frac14;¼\0frac34;¾\0frasl;⁄\0gamma;γ\0ge;≥\0gt;>\0",
    "hArr;⇔\0harr;↔\0hearts;♥\0hellip;…\0iacute;í\0icirc;î\0iexcl;¡\0igrave;ì\0image;ℑ\0",
    "infin;∞\0int;∫\0iota;ι\0iquest;¿\0isin;∈\0iuml;ï\0kappa;κ\0lArr;⇐\0lambda;λ\0lang;⟨\0",
    "laquo;«\0larr;←\0larrb;⇤\0lceil;⌈\0ldquo;“\0le;≤\0lfloor;⌊\0lowast;∗\0loz;◊\0",
    "lrm;\u{200e}\0lsaquo;‹\0lsquo;‘\0lt;<\0macr;¯\0mdash;—\0micro;µ\0middot;·\0minus;−\0mu;μ\0",
    "nabla;∇\0nbsp;\u{a0}\0ndash;–\0ne;≠\0ni;∋\0not;¬\0notin;∉\0nsub;⊄\0ntilde;ñ\0nu;ν\0",
    "oacute;ó\0ocirc;ô\0oelig;œ\0ograve;ò\0oline;‾\0omega;ω\0omicron;ο\0oplus;⊕\0or;∨\0ordf;ª\0",
    "ordm;º\0oslash;ø\0otilde;õ\0otimes;⊗\0ouml;ö\0para;¶\0part;∂\0permil;‰\0perp;⊥\0phi;φ\0",
    "pi;π\0piv;ϖ\0plusmn;±\0pound;£\0prime;′\0prod;∏\0prop;∝\0psi;ψ\0quot;\"\0rArr;⇒\0radic;√\0",
    "rang;⟩\0raquo;»\0rarr;→\0rarrb;⇥\0rceil;⌉\0rdquo;”\0real;ℜ\0reg;®\0rfloor;⌋\0rho;ρ\0",
    "rlm;\u{200f}\0rsaquo;›\0rsquo;’\0sbquo;‚\0scaron;š\0sdot;⋅\0sect;§\0shy;\u{ad}\0sigma;σ\0",
    "sigmaf;ς\0sim;∼\0spades;♠\0star;☆\0starf;★\0sub;⊂\0sube;⊆\0sum;∑\0sup;⊃\0sup1;¹\0sup2;²\0",
    "sup3;³\0supe;⊇\0szlig;ß\0tau;τ\0there4;∴\0theta;θ\0thetasym;ϑ\0thinsp;\u{2009}\0thorn;þ\0",
    "tilde;˜\0times;×\0trade;™\0uArr;⇑\0uacute;ú\0uarr;↑\0ucirc;û\0ugrave;ù\0uml;¨\0upsih;ϒ\0",
    "upsilon;υ\0uuml;ü\0weierp;℘\0xi;ξ\0yacute;ý\0yen;¥\0yuml;ÿ\0zeta;ζ\0zwj;\u{200d}\0",
    "zwnj;\u{200c}\0",
);
