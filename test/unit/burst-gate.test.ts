import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BurstGate } from '../../src/loop/burst-gate.js';

// When queued records become a batch. The gate takes the time as an argument,
// so every case is a plain sequence of (time, records appended) steps.

const settings = { gatherMs: 20, checkIntervalMs: 1000 };

test('a single change goes one gathering window after it came', () => {
  const gate = new BurstGate(settings);
  assert.equal(gate.nextAt(0, false), undefined, 'nothing queued: no batch planned');
  gate.noteAppend(100, 1);
  assert.equal(gate.nextAt(100, false), 120);
  assert.equal(gate.stillPouringIn(120, 1), false, 'a few records never wait longer');
});

test('a burst still pouring in is gathered window by window, at most check_interval', () => {
  const gate = new BurstGate(settings);
  gate.noteAppend(0, 1);
  let appended = 20;
  let now = 20;
  assert.equal(gate.stillPouringIn(now, appended), true, '20 records in 20 ms: still pouring in');
  assert.equal(gate.nextAt(now, true), 40, 'looked at again one window later');
  while (gate.stillPouringIn(now, appended)) {
    now += 20;
    appended += 10;
  }
  assert.equal(now, 1000, 'held until check_interval after the first record, no longer');
});

test('a burst ends once no record came for 100 ms', () => {
  const gate = new BurstGate(settings);
  gate.noteAppend(0, 1);
  assert.equal(gate.stillPouringIn(20, 30), true);
  assert.equal(gate.stillPouringIn(40, 30), true, 'quiet for 20 ms only');
  assert.equal(gate.stillPouringIn(119, 30), true);
  assert.equal(gate.stillPouringIn(120, 30), false, 'quiet for 100 ms: the batch goes');
});

test('under load, batch starts keep check_interval apart; without load they do not', () => {
  const gate = new BurstGate(settings);
  gate.noteAppend(0, 1);
  gate.batchStarted(20);
  gate.noteAppend(30, 2);
  gate.batchFinished(true);
  assert.equal(gate.nextAt(500, true), 1020, 'records came in while the batch ran: the next one waits for check_interval');
  gate.batchStarted(1020);
  gate.batchFinished(false);
  gate.noteAppend(1500, 3);
  assert.equal(gate.nextAt(1500, true), 1520, 'the batch found nothing behind it: the next change goes at once');
});

test('drained() forgets a pending start whose records are gone', () => {
  const gate = new BurstGate(settings);
  gate.noteAppend(0, 1);
  gate.drained();
  assert.equal(gate.nextAt(10, false), undefined);
});
