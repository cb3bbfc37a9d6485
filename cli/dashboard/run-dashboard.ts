import * as blessed from 'blessed';
import { SkillFleetClient } from '#src/client/index';
import type { ServerTarget } from '../remote';
import { DashboardConnection } from './connection';
import { Dashboard } from './dashboard';
import { initialState, Store } from './store';

/**
 * Connects (rejecting with the client's error when the first connection fails), then runs the
 * dashboard on this terminal until the person quits. The client reconnects on its own after that.
 */
export async function runDashboard(target: ServerTarget): Promise<void> {
  const client = await SkillFleetClient.connect({ url: target.url, token: target.token });
  const store = new Store(initialState(target.url));
  const connection = new DashboardConnection(client, store);
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
    title: 'Skill Fleet',
    warnings: false,
  });
  await new Promise<void>((resolve) => {
    const dashboard: Dashboard = new Dashboard({
      screen,
      store,
      commands: connection,
      onQuit: () => {
        dashboard.destroy();
        screen.destroy();
        // Quitting: a connection that fails to close cleanly changes nothing left to do.
        Promise.all([connection.stop(), client.close()])
          .catch(() => undefined)
          .finally(resolve);
      },
    });
    connection.start();
  });
}
