// Writes Tests/KVReplayEvaluationTests/Fixtures/js_date_cases.jsonl.gz: {"s": text, "t": new Date(text).getTime()
// or null for an Invalid Date}, one case a line, as V8 answers with the local time zone UTC.
// Run from the repository root: TZ=UTC node Tests/Tools/make_js_date_cases.js
'use strict';
const fs = require('fs');
const zlib = require('zlib');
if (new Date(2024, 0, 1).getTimezoneOffset() !== 0) throw new Error('run with TZ=UTC');

const cases = new Set();
const add = (s) => cases.add(s);

// Seeded generator (mulberry32) so that the file is reproducible.
let seed = 0x5eed1234;
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const digits = (n) => Array.from({ length: n }, () => String(int(0, 9))).join('');
const pad = (n, w) => String(n).padStart(w, '0');

// 1. The brief's examples and hand-picked shapes.
[
  '2024', '12', '0', '-1', '1.5', '100', '10000', '1700000000', '20240101', '1e3', '2024-02-30', '2024-01-01T10Z',
  '2024-01-01t10:00:00z', '2024/01/01', 'Jan 1 2024', 'Mon, 01 Jan 2024 00:00:00 GMT', '2024-1-1', '  2024-01-01',
  '', ' ', 'Invalid Date', 'null', 'undefined', 'true', 'NaN', 'Infinity', 'now', 'today', 'T', 'Z', 'z',
  '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00', '2024-01-01T00:00', '2024-01-01T24:00',
  '2024-01-01T24:00:00.000Z', '2024-01-01T24:00:01', '2024-01-01T24:01', '2024-01-01T23:59:59.999Z',
  '2024-01-01T23:59:60Z', '2024-01-01T25:00', '+002024-01-01', '-002024-01-01', '-000000-01-01', '+000000-01-01',
  '+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00.000Z',
  '-271821-04-19T23:59:59.999Z', '+275760-09-13', '-271821-04-20', '+275760-09-14', '-271821-04-19',
  '275760-09-13', '+999999-12-31', '-999999-01-01', 'Sat, 13 Sep 275760 00:00:00 GMT',
  'Tue, 20 Apr -271821 00:00:00 GMT', '2024-06-15T12:30:00+05:30', '2024-06-15T12:30:00-0800', '2024-06-15T12:30:00+24:00',
  '2024-06-15T12:30:00+23:59', '2024-06-15T12:30:00+2359', '2024-06-15T12:30:00+2360', '2024-06-15T12:30:00+5',
  '2024-06-15T12:30:00 +05:30', '2024-06-15 12:30:00+05:30', '2024-06-15 12:30:00 +0530', '2024-06-15 12:30:00 GMT+0530',
  '2024-06-15 12:30:00 UTC', '2024-06-15 12:30:00 UT', '2024-06-15 12:30:00 Z', '2024-06-15 12:30:00Z',
  '6/15/2024', '6/15/24', '6/15/99', '6/15/50', '6/15/49', '15/6/2024', '2024/6/15', '2024/15/6', '6-15-2024',
  '15-6-2024', '2024-6-15', '2024.06.15', '15.06.2024', '06.15.2024', '2024 06 15', '15 June 2024', 'June 15, 2024',
  'June 15 2024 3:45 PM', 'June 15 2024 3:45:12.5 pm', 'June 15 2024 12:00 AM', 'June 15 2024 12:00 PM',
  'June 15 2024 13:00 PM', 'June 15 2024 0:00 AM', 'Thursday, June 15, 2024', 'Thu Jun 15 2024 12:00:00 GMT+0000 (Coordinated Universal Time)',
  'Thu Jun 15 2024 12:00:00 GMT-0700 (Pacific Daylight Time)', 'Thu, 15 Jun 2024 12:00:00 +0000',
  'Thu, 15 Jun 2024 12:00:00 -0000', '15 Jun 2024 12:00:00 EST', '15 Jun 2024 12:00:00 EDT', '15 Jun 2024 12:00:00 CST',
  '15 Jun 2024 12:00:00 CDT', '15 Jun 2024 12:00:00 MST', '15 Jun 2024 12:00:00 MDT', '15 Jun 2024 12:00:00 PST',
  '15 Jun 2024 12:00:00 PDT', '15 Jun 2024 12:00:00 BST', '15 Jun 2024 12:00:00 CET', '15 Jun 2024 12:00:00 JST',
  '2024-06-15 (comment) 12:00', '(comment) 2024-06-15', '2024-06-15 (unbalanced', '2024-06-15 ((nested) x) 10:00',
  '2024-06-15)', ')2024-06-15', 'Jun 2024', '2024 Jun', 'Jun-15-2024', '15-Jun-2024', '2024-Jun-15', 'Junk 15 2024',
  'Januaryx 15 2024', 'JANUARY 15 2024', 'jan 15 2024', 'ja 15 2024', 'de 15 2024', '12:00', '12:00 2024-01-01',
  '12:00:00 1/1/2024', '1/1/2024 12::', '1/1/2024 12::30', '1/1/2024 12:30:', '1/1/2024 12:30.5', '1/1/2024 12:30:15.',
  '1/1/2024 12:30:15.123456789', '1/1/2024 12:30:15.1234567891234', '1/1/2024 12:30:15.0001', '1/1/2024 12.30',
  '1/1/2024 1:2:3', '1/1/2024 01:02:03:04', '1/1/2024 01:02:03:04:05', '1/1/2024 10:00 +1', '1/1/2024 10:00 -12',
  '1/1/2024 10:00 +123', '1/1/2024 10:00 +12345', '1/1/2024 10:00 +', '1/1/2024 10:00 GMT+', '1/1/2024 10:00 GMT-',
  '1/1/2024 10:00 GMT+5:30', '1/1/2024 10:00 GMT+05:', '1/1/2024 10:00 UTC+5 30', '1/1/2024 GMT+5',
  '1/1/2024 10:00 +596523:', '1/1/2024 10:00 +596524:', '1/1/2024 10:00 +1193046:', '1/1/2024 10:00 +1193047:',
  '1/1/2024 10:00 +999999999:', '1/1/2024 10:00 +9999999999:', '2024\u00002', '\u00002024', '2024-01-01\u0000x',
  '2024-01-01\u00a010:00', '2024-01-01\u2028', '2024-01-01\u2029', '2024-01-01\u0085', '2024-01-01\ufeff',
  '1 2 2024\u3000', '\u00e9 2024', '\u00e92024', '2024 \u00e9', '\u0662\u0660\u0662\u0664', '\uff12\uff10\uff12\uff14',
  '\u0968\u0966\u0968\u096a-01-01', '2024-\u0660\u0661-01', '2024-01-01T10:00:00\u200bZ', '\u{1F600} 2024',
  '2024 \u{1F600}', '[2024]', '{2024}', '"2024"', "'2024'", '2024!', '#2024', '@2024', '2024_01_01', '2024|01|01',
  '2024\\01\\01', '2024,01,01', '2024;01;01', '2024~01~01', '+2024', '-2024', '+-2024', '--2024', '2024-', '2024--01',
  '2024-01-', '2024-01-01-', '2024-01-01T', 'T2024', '2024T', '2024-13-01', '2024-00-01', '2024-01-00', '2024-01-32',
  '2024-02-29', '2023-02-29', '1900-02-29', '2000-02-29', '0000-01-01', '0001-01-01', '9999-12-31T23:59:59.999Z',
  '1970-01-01', '1969-12-31T23:59:59.999Z', '1970', '1969', '99', '49', '50', '31', '32', '13', '1', '01', '001',
  '0001', '00001', '000001', '0000001', '1 1', '1 1 1', '1 1 1 1', '1/1', '1/1/1', '1/1/1/1', '13/13/2024', '31/12/2024',
  '32/12/2024', '12/31/2024', '12/32/2024', '2024/12/31', '2024/12/32', '2024/13/31', '0/0/0', '1/0/2024', '0/1/2024',
  'Jan', 'Jan 1', 'Jan 32', 'Jan 0', '1 Jan', '2024 Jan 1', 'Jan 2024 1', '1 2024 Jan', '32 Jan 2024', 'Jan 1 32',
  'Jan Feb 1 2024', 'Feb 30 2024', 'Feb 29 2023', 'Dec 31 1999 23:59:59', 'Dec 31 1999 24:00:00', 'Dec 31 1999 24:00:01',
  'am 1/1/2024', '1/1/2024 am', '1/1/2024 10 am', '1/1/2024 10:00 am pm', '1/1/2024 10:00am', '1/1/2024 10:00 a.m.',
  '1/1/2024 10:00 GMT GMT', '1/1/2024 10:00 GMT EST', 'GMT 1/1/2024', '1/1/2024 10:00 X', '1/1/2024 10:00 XYZ',
  'Monday 1/1/2024', 'Mon1/1/2024', 'Mon,1/1/2024', 'Mon.1/1/2024', '1/1/2024 Monday', 'x', 'abc', '?', '-', '+', '.', ':',
  '2024-01-01T10:00:00.', '2024-01-01T10:00:00.Z', '2024-01-01T10:00.000', '2024-01-01T10:00:00,000', '2024-01-01T1:00',
  '2024-01-01T10:0', '2024-01-01T10:00:0', '2024-01-01T10:00:00+5:30', '2024-01-01T10:00:00+05:3', '2024-01-01T10:00:00+05',
  '2024-01-01T10:00:00+05:30Z', '2024-01-01T10:00:00Z+05:30', '2024-01-01T10:00:00 Z', '2024-01-01T10:00:00GMT',
  '2024-01-01T10:00:00UTC', '2024-01T10:00', '2024T10:00', '2024-01-01T10:00:00.1', '2024-01-01T10:00:00.12',
  '2024-01-01T10:00:00.1234', '2024-01-01T10:00:00.9999999999999', '2024-01-01T10:00:00.000000001',
  '1.2.3', '1.2.3.4', '1.2', '12.5', '12.30', '0.5', '.5', '5.', '1..2', '1-2', '1-2-3', '1/2', '1:2', '1:2:3', '1::',
  '1e10', '1E3', '0x10', '0b1', '1_000', '1,000', '10 000', '123456789', '1234567890', '12345678901', '123456789012',
  '1234567890123', '99999999', '999999999', '100000', '1000000', '275760', '275761', '-271821', '-271822',
].forEach(add);

// 2. Numbers of 1 to 13 digits, signed, with fractions and separators.
for (let n = 1; n <= 13; n++) {
  for (let k = 0; k < 12; k++) {
    const d = digits(n);
    add(d);
    add(pick(['+', '-', ' ', '  ']) + d);
    add(d + pick(['.', '/', '-', ':', ' ']) + digits(int(1, 4)));
    add(digits(int(1, 3)) + pick(['.', '/', '-']) + digits(int(1, 3)) + pick(['.', '/', '-']) + d);
  }
  add('1'.padEnd(n, '0'));
  const d = digits(n);
  add('0'.repeat(int(1, 8)) + d);
  add('2024-01-01T10:00:00.' + '0'.repeat(int(0, 6)) + d);
  add('1/1/2024 10:00:00.' + '0'.repeat(int(0, 6)) + d);
  add('9'.repeat(n));
  add('0'.repeat(n));
}

// 3. ISO variants.
for (let k = 0; k < 600; k++) {
  const year = pick([
    () => pad(int(0, 9999), 4), () => pick(['+', '-']) + pad(int(0, 300000), 6), () => pad(int(1900, 2100), 4),
    () => digits(int(1, 7)),
  ])();
  let s = year;
  if (rnd() < 0.85) s += '-' + pick([pad(int(0, 13), 2), String(int(1, 12)), pad(int(1, 12), 2)]);
  if (rnd() < 0.75) s += '-' + pick([pad(int(0, 32), 2), String(int(1, 31)), pad(int(1, 31), 2)]);
  if (rnd() < 0.7) {
    s += pick(['T', 't', ' ', 'T', 'T']);
    s += pick([pad(int(0, 25), 2), String(int(0, 23))]);
    if (rnd() < 0.95) s += ':' + pad(int(0, 60), 2);
    if (rnd() < 0.6) s += ':' + pad(int(0, 60), 2);
    if (rnd() < 0.4) s += pick(['.', ',']) + digits(int(0, 12));
    const z = rnd();
    if (z < 0.3) s += pick(['Z', 'z']);
    else if (z < 0.6) s += pick(['+', '-']) + pick([pad(int(0, 24), 2) + ':' + pad(int(0, 60), 2), pad(int(0, 2460), 4),
      pad(int(0, 24), 2), String(int(0, 9)) + ':' + pad(int(0, 59), 2)]);
    else if (z < 0.7) s += pick([' GMT', ' UTC', ' EST', 'PDT', ' +0100', ' (CET)']);
  }
  add(s);
}

// 4. Legacy forms.
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'January', 'February',
  'March', 'April', 'June', 'July', 'August', 'September', 'Sept', 'October', 'November', 'December', 'JAN', 'dec', 'mAy'];
const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday',
  'Saturday', 'Sunday', 'MON', 'sun'];
const zones = ['GMT', 'UTC', 'UT', 'Z', 'z', 'EST', 'EDT', 'CST', 'CDT', 'MST', 'MDT', 'PST', 'PDT', 'gmt', 'utc', 'BST',
  'CET', 'IST', 'GMT+1', 'GMT-8', 'GMT+0530', 'GMT-05:00', 'UTC+2', '+0000', '-0700', '+05:30', '+5', '-12', '+1234'];
function time() {
  let t = String(int(0, 25));
  if (rnd() < 0.5) t = pad(t, 2);
  t += ':' + pad(int(0, 60), 2);
  if (rnd() < 0.6) t += ':' + pad(int(0, 60), 2);
  if (rnd() < 0.2) t += '.' + digits(int(1, 6));
  if (rnd() < 0.3) t += pick([' AM', ' PM', 'am', 'pm', ' a.m.', ' p.m.']);
  return t;
}
for (let k = 0; k < 1500; k++) {
  const y = pick([String(int(1900, 2100)), String(int(0, 99)), pad(int(0, 99), 2), String(int(100, 99999))]);
  const m = String(int(0, 13)), d = String(int(0, 32)), mn = pick(months);
  const sep = pick(['/', '-', '.', ' ', ', ']);
  let date = pick([
    () => m + sep + d + sep + y, () => d + sep + m + sep + y, () => y + sep + m + sep + d, () => mn + ' ' + d + ', ' + y,
    () => d + ' ' + mn + ' ' + y, () => mn + ' ' + d + ' ' + y, () => y + ' ' + mn + ' ' + d, () => d + '-' + mn + '-' + y,
    () => mn + ' ' + y, () => mn + ' ' + d, () => m + sep + d, () => y,
  ])();
  const parts = [];
  if (rnd() < 0.4) parts.push(pick(days) + pick([',', '', ' ,', '.']));
  parts.push(date);
  if (rnd() < 0.6) parts.push(time());
  if (rnd() < 0.5) parts.push(pick(zones));
  if (rnd() < 0.15) parts.push('(' + pick(['Coordinated Universal Time', 'PDT', 'x(y)z', '']) + ')');
  if (rnd() < 0.15) parts.splice(int(0, parts.length), 0, pick(['at', 'of', 'the', '-', '+', ')', '(', ',', 'T', 'Z']));
  add(parts.join(pick([' ', ' ', '  ', '\t', '\n', ','])));
}

// 5. Token fuzzer over the parser's alphabet.
const alphabet = ['0', '1', '2', '9', '12', '24', '31', '59', '60', '99', '100', '2024', '1970', '000', '123456', '-', '+',
  ':', '.', '/', ',', ' ', '  ', '\t', '\n', '\r', '\u000b', '\f', 'T', 't', 'Z', 'z', '(', ')', '((', 'Jan', 'dec', 'Mayo',
  'am', 'PM', 'GMT', 'UTC', 'ut', 'EST', 'pdt', 'Mon', 'x', 'ab', '[', '_', '`', '{', '~', '@', '\u00a0', '\u2028',
  '\u3000', '\ufeff', '\u0085', '\u00e9', '\u0000', '\u0660', '\uff11', '\u{1F600}', '\u0101', '\u200b', '\u0001', '#'];
for (let k = 0; k < 4000; k++) {
  let s = '';
  const n = int(1, 12);
  for (let i = 0; i < n; i++) s += pick(alphabet);
  add(s);
}
// Character-level fuzzer over ASCII and a few others.
const chars = '0123456789-+:./ ,()TtZzJjAaNnMmPpGgUuCcEeSsDdXx[]_`\t\n';
for (let k = 0; k < 2000; k++) {
  let s = '';
  const n = int(1, 24);
  for (let i = 0; i < n; i++) s += chars[int(0, chars.length - 1)];
  add(s);
}
// Mutations of valid dates: one code unit changed, inserted or removed.
const valid = [...cases].filter((s) => !Number.isNaN(new Date(s).getTime()) && s.length > 2);
const insert = '0123456789-+:./ ()TZazé\u00a0\u2028\u0000';
for (let k = 0; k < 3000; k++) {
  const s = pick(valid);
  const i = int(0, s.length - 1);
  const c = insert[int(0, insert.length - 1)];
  const op = int(0, 2);
  const t = op === 0 ? s.slice(0, i) + c + s.slice(i + 1) : op === 1 ? s.slice(0, i) + c + s.slice(i) : s.slice(0, i) + s.slice(i + 1);
  add(t);
}

// No lone surrogates: the cases must survive UTF-8.
const lines = [];
for (const s of cases) {
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) continue;
  const t = new Date(s).getTime();
  lines.push(JSON.stringify({ s, t: Number.isNaN(t) ? null : t }));
}
const out = 'Tests/KVReplayEvaluationTests/Fixtures/js_date_cases.jsonl.gz';
fs.writeFileSync(out, zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
const valid2 = lines.filter((l) => !l.endsWith('"t":null}')).length;
console.log(`${lines.length} cases (${valid2} dates, ${lines.length - valid2} invalid) -> ${out}`);
