import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../../src/config/index.js';

const kinds = (text: string): string[] =>
  tokenize(text, 't.cfg')
    .filter((t) => t.kind !== 'eof')
    .map((t) => (t.kind === 'string' || t.kind === 'keyword' || t.kind === 'config' ? `${t.kind}:${t.value}` : t.kind));

test('keywords are whole words only', () => {
  assert.deepEqual(kinds('group groups host1 include/x'), ['keyword:group', 'string:groups', 'string:host1', 'string:include/x']);
});

test('do-local and do-local-only are distinct keywords', () => {
  assert.deepEqual(kinds('do-local; do-local-only; do-local-onlyx'), ['keyword:do-local', ';', 'keyword:do-local-only', ';', 'string:do-local-onlyx']);
});

test('a brace glued to a word belongs to the word, as in csync2', () => {
  assert.deepEqual(kinds('g{ { } x}'), ['string:g{', '{', '}', 'string:x}']);
});

test('a colon may sit inside a word but never ends one', () => {
  assert.deepEqual(kinds('on h*: /a:b'), ['keyword:on', 'string:h*', ':', 'string:/a:b']);
  assert.deepEqual(kinds('x::'), ['string:x', ':', ':']);
});

test('@ ( ) ; always split words', () => {
  assert.deepEqual(kinds('a@b (c)d;e'), ['string:a', '@', 'string:b', '(', 'string:c', ')', 'string:d', ';', 'string:e']);
});

test('# starts a comment even inside a word', () => {
  assert.deepEqual(kinds('/a#b c\n/d'), ['string:/a', 'string:/d']);
});

test('quoted strings keep spaces and keywords; "" yields nothing; quotes split words', () => {
  assert.deepEqual(kinds('"a b" "group" "" x"y z"'), ['string:a b', 'string:group', 'string:x', 'string:y z']);
});

test('config takes every following name up to ;', () => {
  assert.deepEqual(kinds('config a.cfg b.cfg; config\n"c.cfg";x'), ['config:a.cfg', 'config:b.cfg', 'config:"c.cfg"', 'string:x']);
});

test('tokens carry line and column', () => {
  const tokens = tokenize('group g\n  {\n\thost a;', 'f.cfg');
  assert.deepEqual(tokens.map((t) => `${t.location.line}:${t.location.column}`), ['1:1', '1:7', '2:3', '3:2', '3:7', '3:8', '3:9']);
});

test('an unterminated quote is an error at the quote', () => {
  assert.throws(() => tokenize('key "abc;\n', 'f.cfg'), { message: `f.cfg:1:5: unterminated quoted string: no closing '"' before the end of the file` });
});
