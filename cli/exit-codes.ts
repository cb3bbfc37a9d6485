/** protocol.md §3: 0 success, 1 not valid / refused, 2 usage error or server unreachable. */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
