import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blocksAddress, hexOfAddress, parseTcpListeners } from '../../src/sync/tcp-listeners.js';

// Lines as Linux 6.1 writes them (the uid and inode columns are what port-holder needs).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0300007F:7891 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 51234 1 0000000000000000 100 0 0 10 0
   1: 0300007F:8A59 0200007F:7891 01 00000000:00000000 03:000000B8 00000000     0        0 0 3 0000000000000000
   2: 00000000:7891 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:7891 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 888 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000300007F:7891 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 999 1 0000000000000000 100 0 0 10 0
`;

describe('/proc/net/tcp listeners', () => {
  test('only LISTEN rows, with the owner uid, the inode and the port', () => {
    assert.deepEqual(parseTcpListeners(TCP), [
      { inode: '51234', uid: 65534, hexAddress: '0300007F', port: 30865 },
      { inode: '777', uid: 0, hexAddress: '00000000', port: 30865 },
    ]);
    assert.equal(parseTcpListeners(TCP6).length, 2);
  });

  test('addresses in the kernel\'s hex form', () => {
    assert.equal(hexOfAddress('127.0.0.3'), '0300007F');
    assert.equal(hexOfAddress('::'), '00000000000000000000000000000000');
    assert.equal(hexOfAddress('::ffff:127.0.0.3'), '0000000000000000FFFF00000300007F');
    assert.equal(hexOfAddress('::1'), '00000000000000000000000001000000');
    assert.equal(hexOfAddress('fe80::1%eth0'), '000080FE000000000000000001000000');
    assert.equal(hexOfAddress('host1'), undefined);
  });

  test('what keeps an address from being bound: the same address, a wildcard, the IPv4-mapped form', () => {
    const [exact, wildcard] = parseTcpListeners(TCP);
    const [wildcard6, mapped] = parseTcpListeners(TCP6);
    assert.equal(blocksAddress(exact!.hexAddress, '127.0.0.3'), true);
    assert.equal(blocksAddress(exact!.hexAddress, '127.0.0.4'), false, 'another loopback address on the same port is free');
    assert.equal(blocksAddress(wildcard!.hexAddress, '127.0.0.4'), true);
    assert.equal(blocksAddress(wildcard6!.hexAddress, '127.0.0.4'), true);
    assert.equal(blocksAddress(mapped!.hexAddress, '127.0.0.3'), true);
    assert.equal(blocksAddress(mapped!.hexAddress, '127.0.0.2'), false);
  });
});
