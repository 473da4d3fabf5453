import { after, before } from 'node:test';
import { DaemonProcess, type DaemonProcessOptions } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { explainTimeouts, logTails } from './wait.js';

export interface DaemonCluster {
  cluster: LocalCluster;
  daemons: DaemonProcess[];
}

/**
 * Registers before/after hooks of the current suite: a LocalCluster with the
 * built daemon running on every node (ready before the tests run), stopped and
 * removed afterwards. The returned object is filled in by the before hook.
 */
export function useDaemonCluster(
  options: { nodes?: number; daemon?: (cluster: LocalCluster, index: number) => DaemonProcessOptions } = {},
): DaemonCluster {
  const state = { daemons: [] } as unknown as DaemonCluster;
  before(async () => {
    state.cluster = await LocalCluster.create({ nodes: options.nodes ?? 2 });
    state.daemons = state.cluster.nodes.map((_, index) => DaemonProcess.start(state.cluster, index, options.daemon?.(state.cluster, index)));
    await Promise.all(state.daemons.map((daemon) => daemon.ready()));
    explainTimeouts(() => logTails(state.daemons));
  });
  after(async () => {
    explainTimeouts(undefined);
    await Promise.all(state.daemons.map((daemon) => daemon.stop()));
    await state.cluster?.destroy();
  });
  return state;
}
