/** Resolves on the first SIGINT or SIGTERM, so a daemon can stop cleanly. */
export async function waitForShutdown (): Promise<string> {
  return await new Promise(resolve => {
    const done = (sig: string): void => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(sig)
    }
    const onInt = (): void => done('SIGINT')
    const onTerm = (): void => done('SIGTERM')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
  })
}
