/** `npm start`: the whole system end to end on this machine (see scripts/start/main.ts). */
import { start } from './start/main';

start();
