import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveryTracker } from '../../src/metrics/delivery-tracker.js';

test('a batch counts from its oldest append until the last peer is updated by an update started after its check', () => {
  const tracker = new DeliveryTracker(() => ['b', 'c']);
  tracker.batchChecked(1000, 3, 1400);
  // Started before the check ended: it may not have sent this batch.
  tracker.peerUpdated('b', 1300, 1500);
  assert.equal(tracker.pendingPaths('b'), 3);
  tracker.peerUpdated('b', 1400, 1600);
  assert.equal(tracker.pendingPaths('b'), 0);
  assert.equal(tracker.pendingPaths('c'), 3);
  assert.equal(tracker.latencySnapshot().count, 0, 'c has not been updated yet');
  tracker.peerUpdated('c', 1450, 2200);
  const latency = tracker.latencySnapshot();
  assert.equal(latency.count, 1);
  assert.equal(latency.sum, 1.2);
  assert.equal(tracker.pendingPaths('c'), 0);
});

test('one update delivers every batch checked before it started; a down peer keeps its paths pending', () => {
  const tracker = new DeliveryTracker(() => ['b', 'down']);
  tracker.batchChecked(0, 2, 100);
  tracker.batchChecked(150, 5, 300);
  tracker.batchChecked(400, 1, 600);
  tracker.peerUpdated('b', 350, 500);
  assert.equal(tracker.pendingPaths('b'), 1);
  assert.equal(tracker.pendingPaths('down'), 8);
  assert.equal(tracker.latencySnapshot().count, 0);
});

test('an update that started after the check but ended before the batch was handed over still delivers it', () => {
  const tracker = new DeliveryTracker(() => ['b', 'c']);
  // The engine starts the peers' updates the moment the check ends; the loop reports the batch a little later.
  tracker.peerUpdated('b', 1000, 1100);
  tracker.peerUpdated('c', 990, 1050);
  tracker.batchChecked(500, 2, 1000);
  assert.equal(tracker.pendingPaths('b'), 0);
  assert.equal(tracker.pendingPaths('c'), 2, "c's update started before the check ended");
  tracker.peerUpdated('c', 1060, 1300);
  const latency = tracker.latencySnapshot();
  assert.equal(latency.count, 1);
  assert.equal(latency.sum, 0.8);
});

test('a host that updates no peer measures nothing', () => {
  const tracker = new DeliveryTracker(() => []);
  tracker.batchChecked(0, 2, 100);
  tracker.peerUpdated('b', 200, 300);
  assert.equal(tracker.latencySnapshot().count, 0);
  assert.equal(tracker.pendingPaths('b'), 0);
});

test('while a peer is down for long the memory stays bounded and no path is lost from the pending count', () => {
  const tracker = new DeliveryTracker(() => ['down']);
  for (let i = 0; i < 10_000; i++) tracker.batchChecked(i, 1, i + 1);
  assert.equal(tracker.pendingPaths('down'), 10_000);
  tracker.peerUpdated('down', 20_000, 20_000);
  const latency = tracker.latencySnapshot();
  assert.ok(latency.count > 0 && latency.count <= 4096, `${latency.count} observations`);
  assert.equal(tracker.pendingPaths('down'), 0);
});
