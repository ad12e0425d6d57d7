// Writes Tests/KVReplayEvaluationTests/Fixtures/js_regex_cases.jsonl.gz: {"p": pattern, "s": subject, "m": true|false}
// for `new RegExp(p).test(s)`, or {"p": pattern, "e": "SyntaxError"} when the pattern does not compile, one case
// a line, as Node (V8, non-Unicode mode, no flags) answers. Run from the repository root:
//   node Tests/Tools/make_js_regex_cases.js
'use strict';
const fs = require('fs');
const zlib = require('zlib');

let seed = 0x7e5e0001;
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

// Realistic targeting patterns, then the places where JavaScript and ICU read the same text differently.
const patterns = [
  // emails and domains
  '^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$', '@statsig\\.com$', '.*@(gmail|yahoo)\\.com', '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  '@(statsig|example)\\.(com|io)$', '^\\w+([.-]?\\w+)*@\\w+([.-]?\\w+)*(\\.\\w{2,3})+$', '\\+test@', '^(www\\.)?example\\.com$',
  '\\.example\\.(com|org)', '^https?:\\/\\/[^\\/]+\\/path', '^https?://(www\\.)?statsig\\.com(/.*)?$', 'example\\.com',
  'example.com', '^[a-z0-9-]+\\.myshopify\\.com$', '(^|\\.)corp\\.internal$',
  // versions
  '^\\d+\\.\\d+\\.\\d+$', '^1\\.[2-9]\\.\\d+', '^(\\d+)\\.(\\d+)(\\.(\\d+))?$', '^v?\\d+(\\.\\d+){0,2}(-[a-z0-9.]+)?$',
  '^2\\.(1[0-9]|[2-9][0-9])\\.', '^(3|4)\\.', '-beta\\d*$', '^\\d{1,3}(\\.\\d{1,3}){3}$',
  // paths and ids
  '^\\/api\\/v[0-9]+\\/', '\\/users\\/\\d+', '^/checkout(/|$)', '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  '^user_[A-Za-z0-9]{6,}$', '^(123|456|789)$', '^[A-Z]{2}$', 'iPhone|iPad', '(?:Android|iOS) \\d+', '^Mozilla\\/5\\.0',
  // anchors and assertions
  '^', '$', '^$', 'a$', '^a', 'a$b', '\\n$', '^\\s*$', 'abc', '^abc', 'abc$', '^abc$', 'b', '',
  '\\bfoo\\b', '\\Bfoo', 'foo\\B', '\\b', '\\B', '\\b\\w+\\b', '^\\b', '\\bé', 'é\\b', '\\b\\d',
  // classes and escapes
  '\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '^\\d+$', '^\\w+$', '^\\s+$', '^\\S+$', '^\\D+$', '^\\W+$',
  '[\\d]', '[\\D]', '[\\w]', '[\\W]', '[\\s]', '[\\S]', '[^\\d]', '[^\\w]', '[^\\s]', '[^\\S]', '^[\\s\\S]$', '^[\\w\\W]+$',
  '[\\w-z]', '[a-\\d]', '[\\d-]', '[-\\d]', '[a-z-]', '[-a]', '[a-]', '[\\w-]+', '^[\\w.+-]+$', '[.]', '[$]', '[\\]]', '[\\[]',
  '[[]', '[a[b]', '[]]', '[^]]', '[]', '[^]', '^[^]$', '^[]$', '[]a', '[^]a', 'a[]', '[]+', '[]*', '[]{1,2}', '[]?a', '[^]*', '[^]{2}', '[\\b]', '[\\B]', '[&&]', '[a&&b]',
  '[a&b]', '[[:alpha:]]', '[[:digit:]]+', '[\\-]', '[a\\-z]', '[\\/]', '[/]', '[|]', '[(]', '[)]', '[{}]', '[*+?]', '[#]',
  '[\\^]', '[\\^a]', '[a^]', '[\\\\]', '[\\x41]', '[\\u0041]', '[\\0]', '[\\cA]', '[\\c1]', '[\\c_]', '[\\c]', '[\\c*]',
  '[\\e]', '[\\q]', '[\\k]', '[\\p{L}]', '[b-a]', '[a-a]', '[z-a]', '[\\d-\\w]', '[--0]', '[!--]', '[ -~]+', '^[ -~]+$',
  '[\\u0000-\\u007f]', '[^\\u0000-\\u007f]', '[\\u00e0-\\u00ff]', '[ä]', '[^ä]', '[😀]', '^[😀]$', '[^a]', '^[^a]$',
  '.', '^.$', '^..$', '^...$', 'a.c', '^.*$', '^.+$', '.*', '.+', 'a.*b', '[^\\n]', '[^\\r\\n]+',
  '\\/', '\\-', '\\.', '\\*', '\\+', '\\?', '\\(', '\\)', '\\[', '\\]', '\\{', '\\}', '\\|', '\\^', '\\$', '\\\\', '\\ ',
  '\\a', '\\e', '\\g', '\\h', '\\i', '\\j', '\\l', '\\m', '\\o', '\\q', '\\y', '\\z', '\\A', '\\Z', '\\G', '\\Q', '\\E',
  '\\Qa\\E', '\\N', '\\R', '\\X', '\\H', '\\V', '\\K', '\\L', '\\U', '\\C', '\\é', '\\%', '\\@', '\\#', '\\~', '\\`', "\\'",
  '\\"', '\\<', '\\>', '\\=', '\\!', '\\,', '\\:', '\\;', '\\&', '\\_',
  '\\n', '\\r', '\\t', '\\f', '\\v', '\\0', '\\00', '\\01', '\\07', '\\08', '\\012', '\\0123', '\\1', '\\2', '\\7', '\\8',
  '\\9', '\\10', '\\11', '\\18', '\\41', '\\101', '\\377', '\\400', '\\777', '\\x41', '\\x4', '\\xZ', '\\x', '\\x4G',
  '\\u0041', '\\u004', '\\u', '\\uZZZZ', '\\u{41}', '\\u{1F600}', '\\uD83D\\uDE00', '\\uD83D', '\\uDE00', '\\x{41}',
  '\\cA', '\\ca', '\\cZ', '\\cz', '\\c1', '\\c', '\\c_', '\\c*', '^\\c$', '\\p{L}', '\\p{L}+', '\\P{L}', '\\pL',
  '\\k', '\\k<a>', '\\kx', '(?<a>x)\\k<a>', '(?<a>x)\\k<b>', '(?<a>x)\\k', '(?<a>x)\\kx', '\\k<a>(?<a>x)',
  '(?<a>x)[\\k]', '(?<a>x)[\\k<a>]', '(?<a>x)\\k<a>+', '(?<a>x)\\1', '(?<a>a)(?<b>b)\\k<b>\\k<a>', 'a{,}', '\\ca{2}',
  '[a-\\cA]', '[\\cA-a]', '[\\c1-\\c3]', '[\\0-\\7]', '[\\8]', '[\\08]', '(?<a>x)(?<a>y)', '(?<a1>x)', '(?<1a>x)', '(?<$a>x)', '(?<_a>x)', '(?<é>x)', '(?<a>x)|(?<b>y)', '(?<a', '(?<>x)',
  // quantifiers
  'a*', 'a+', 'a?', 'a{2}', 'a{2,}', 'a{2,3}', '^a{2,3}$', 'a{,3}', '^a{,3}$', 'a{', 'a{2', 'a{2,', 'a{2,3', 'a{a}',
  'a{ 2}', '{', '}', '{}', 'a}', '{1}', '{1,}', 'x{2,1}', 'x{1,1}', 'a{0}', '^a{0}$', 'a{1}?', 'a{2,}?', 'a*?', 'a+?',
  'a??', 'a++', 'a*+', 'a?+', 'a{2}+', 'a{2}*', 'a**', '*', '+', '?', '*a', '+a', '?a', 'a|*', '(*)', '(?:*)',
  'a{99999}', '^a{4294967295}', 'a{4294967296}', 'a{2147483648,}', 'a{0,99999999999}', '^a{1000000,}',
  '^*', '$*', '\\b*', '\\B+', '^?', '(?=a)*', '(?=a)+b', '(?!a)?b', '(?<=a)*', '(?<!a)+', '(?=a){2}', '(?:)*', '()*', '(?:a|)*b',
  // groups and alternation
  '()', '(?:)', '|', 'a|', '|a', 'a||b', '(a)', '(a|b)c', '(?:a|b)+c', '((a))', '(', ')', '(()', '())', '(?', '(?:', '(?=',
  '(?i)abc', '(?i:abc)', '(?-i:abc)', '(?m)^a', '(?s).', '(?x)a b', '(?#comment)a', '(?>a)', '(?|a)', '(?P<n>a)', '(?P=n)',
  '(?=x)', '(?!x)', 'a(?=b)', 'a(?!b)', '(?<=x)y', '(?<!x)y', '(?<=a+)b', '(?<=a*)b', '(?<=^|,)x', '(?<=\\d{2})x', '(?<=(a))b\\1',
  '(?<=a|bc)d', '(?<=^a.*)b', '(?<=\\d+\\.)\\d', '(?<=@.*)com$', '(?<=(a|bc)+)d', '(?<=a{2,})b', '(?<!\\w+)b', '(?<=(?=a+)a*)b',
  '(?<=a.*?)b', '(?<=(?:a.*)+)b', '(?<![a-z])\\d+', 'x(?<=x)', '(?=(a+))a*b\\1', '(?!(a))\\1b', '(?!(a)\\1)b', '(?<!(a))\\1b', '(?!(?!(a))\\1)b', '(?<a>x)|\\k<a>', '(?:(a)|b\\1)+', '^(?:(a)|b\\1)+$', '(?:(a)|(b))\\1\\2', '((a)|b\\2)', '(a)(?:b|\\1)',
  '(a)?\\1b', '(a){0,2}\\1', '(a){0}\\1', '(a){0,0}b\\1', '(a)*?\\1', '^(a|b)*\\1$', '^(a|b)*?\\1$', '(a)??b\\1',
  '^(a+)?x\\1$', '^(\\d)?-\\1$', '(?<n>a)?b\\k<n>', '(a)?(b)?\\2\\1c', '(a){0,3}?\\1$', '(?:x(a))?\\1', '((a)b)?\\2',
  '(?:(a)|b)+\\1', '(?<=(a)\\1)b', '(?<=\\1(a))b', '(?<=(?<n>a)\\k<n>)b', '(?<=(a))\\1', '(?:(a)|b)*c\\1', '(a|(b))+\\2',
  // backreferences
  '(a)\\1', '(a)\\2', '\\1(a)', '(a\\1)', '(a)?b\\1', '(a)|b\\1', '(a)*\\1', '(?:(a)|b)\\1c', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10',
  '(a)(b)(c)(d)(e)(f)(g)(h)(i)\\10', '(a)\\01', '(?<n>a)\\1', '(a)\\1*',
  // line terminators and white space in the pattern
  'a\nb', 'a\rb', '\u2028', '[\n]', '\t', ' ', '\u00a0', '^\u3000$',
  // non-ASCII and astral
  'é', 'ä+', '^é$', '^ü.$', '😀', '^😀$', '^.😀', '😀+', '^😀{2}$', 'a😀?b', '\\u{1F600}', '[\\uD83D\\uDE00]', '^.{2}$',
  '[😀-😂]', '[\\uD83D\\uDE00-\\uDE02]', '^[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]$', '[\\uD800-\\uDFFF]', '[^\\uD83D]', '^[^\\uD83D]+$',
  '[a-\\uDFFF]', '^[\\uD7FF-\\uE000]$', '[\\uDBFF-\\uDC00]', '\\uD83D\\uDE00', '^\\uD83D.$', '😀{2}', '(?:😀){2}', '\\S\\S', '^\\W$',
  '^\\D{2}$', '\\b😀', '😀\\B', '(?<😀>a)', '(?<𝒜>a)\\k<𝒜>', '[^]{3}', '^[😀a]{2}$', '\\😀',
  '\\w+é', 'ß', 'ﬀ', 'İ', 'K', 'Å', 'σ', 'ς', 'Σ',
];

const subjects = [
  '', 'a', 'b', 'ab', 'abc', 'aa', 'aaa', 'aaaa', 'ba', 'ac', 'a-b', 'x', 'xy', 'y', 'd', 'bd', 'cd', 'bcd', 'xa', 'ax',
  'aab', 'b a', 'foo', 'foo bar', 'foobar', 'barfoo', 'a foo.', 'foo_bar', 'éfoo', 'fooé',
  'user@statsig.com', 'User.Name+tag@Example.co.uk', 'a@b', 'a@b.c', 'bad email@x.com', 'x@gmail.com', 'test+test@x.io',
  'www.example.com', 'example.com', 'exampleXcom', 'api.example.org', 'a.corp.internal', 'https://statsig.com/path/x',
  'http://www.statsig.com', 'https://x.y/path', 'shop-1.myshopify.com',
  '1.2.3', '1.10.0', '10.0', 'v1.2.3-beta.1', '2.15.0', '3.0', '4', '0.0.1-beta2', '192.168.0.1', '1.2.3.4.5', '１.２',
  '/api/v2/users', '/users/42', '/checkout', '/checkout/', '/checkoutx', '123e4567-e89b-12d3-a456-426614174000',
  'user_abc123', '123', '456', '789', '1234', 'US', 'us', 'USA', 'iPhone', 'Android 14', 'iOS 17', 'Mozilla/5.0 (X11)',
  '0', '9', '٣', '123abc', ' ', '  ', '\t', '\n', '\r', '\r\n', 'a\n', 'a\r', 'a\nb', 'a\rb', '\u2028', '\u2029', '\u0085',
  'a\u0085', 'a\u2028', '\u000b', '\f', '\u00a0', '\u1680', '\u180e', '\u2000', '\u200a', '\u200b', '\u202f', '\u205f',
  '\u3000', '\ufeff', '\u0000', '\u0001', '\b', 'x\by',
  'é', 'ä', 'ü', 'ß', 'ss', 'SS', 'ẞ', 'ﬀ', 'ff', 'İ', 'i', 'I', 'K', 'k', 'Å', 'å', 'σ', 'ς', 'Σ', 'ǅ', 'é', 'eé',
  '😀', 'a😀', '😀b', 'a😀b', '😀😀', 'ab😀', '😁', '😂', '𝒜', '\ud7ff', '\ue000', '\ud7ff\ue000', 'a😀😁b', '😀a😀', '\ud83d\ude00\ud83d\ude00', '\u{10000}', '𝟘', '𝒜',
  'A', 'Z', 'z', '_', '-', '.', ',', '$', '^', '*', '+', '?', '[', ']', '{', '}', '(', ')', '|', '\\', '/', '&', '#', '@',
  '!', '~', '`', "'", '"', '<', '>', '=', ':', ';', '%', ' ', 'a{2}', 'a{', '{}', 'a}', '{1}', 'p{L}', 'pL', 'k<a>',
  'k', 'kx', 'x{41}', 'u{41}', 'uuu', 'Qa', 'QaE', 'a{,3}', 'a{ 2}', '\\1', '\u0001', '\u0007', '\u0008', '\n12', '\n3',
  '8', '9', '\t3', '\u0021', '@', 'A', 'AA', '\u001a', '\u0003', '\u001f', 'c', '\\c', '\\cA', 'c*', '\\c_', 'xy\u2028',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', 'abababab', 'xaby', 'xy', 'ay', 'by', 'aby', 'bcd', 'abcd', 'bc', 'a,x', ',x', 'x',
  'aabb', 'abcdefghijj', 'abcdefghija0', 'abcdefghij\b', 'aa1', 'a\u0001',
];

const cases = new Map();  // pattern -> subjects
function addCase(p, s) {
  if (!cases.has(p)) cases.set(p, new Set());
  if (s !== undefined) cases.get(p).add(s);
}
for (const p of patterns) for (const s of subjects) addCase(p, s);

// Patterns from a token fuzzer, each against subjects built from its own characters and a few from the pool.
const tokens = ['a', 'b', 'é', '😀', '1', '.', '^', '$', '|', '(', ')', '(?:', '(?=', '(?!', '(?<=', '(?<!', '[', ']', '[^',
  '-', '*', '+', '?', '{', '}', '{2}', '{1,2}', '{0,}', ',', '\\d', '\\w', '\\s', '\\b', '\\B', '\\D', '\\W', '\\S', '\\1',
  '\\2', '\\0', '\\.', '\\/', '\\-', '\\x41', '\\u00e9', '\\c', '\\k', 'k', '<', '>', '\\', ' ', '\n', '&', ':', '#'];
for (let k = 0; k < 1500; k++) {
  let p = '';
  const n = int(1, 8);
  for (let i = 0; i < n; i++) p += pick(tokens);
  addCase(p);
  const pool = 'ab1é😀 -.,\n_A0';
  for (let j = 0; j < 6; j++) {
    let s = '';
    const m = int(0, 6);
    for (let i = 0; i < m; i++) s += pick([...pool]);
    addCase(p, s);
  }
  for (let j = 0; j < 3; j++) addCase(p, pick(subjects));
}

const lines = [];
let errors = 0, matches = 0;
for (const [p, ss] of cases) {
  let re;
  try {
    re = new RegExp(p);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    lines.push(JSON.stringify({ p, e: 'SyntaxError' }));
    errors++;
    continue;
  }
  for (const s of ss) {
    const m = re.test(s);
    if (m) matches++;
    lines.push(JSON.stringify({ p, s, m }));
  }
}
const out = 'Tests/KVReplayEvaluationTests/Fixtures/js_regex_cases.jsonl.gz';
fs.writeFileSync(out, zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
console.log(`${cases.size} patterns (${errors} SyntaxErrors), ${lines.length - errors} matches tested (${matches} true) -> ${out}`);
