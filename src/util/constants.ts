/** Longest piece of remote text (a provider's or coordinator's error message) we print. */
export const MAX_REMOTE_TEXT = 200
/** Longest name from the network we print (the coordinator's name limit is 1024 bytes). */
export const MAX_DISPLAY_NAME = 1024
/** Longest error line the command line prints (several providers' reasons together). */
export const MAX_ERROR_LINE = 2000
