import {randomBytes} from 'node:crypto'
import {accessSync, constants, createWriteStream, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {invalidInput} from '../errors.js'
import {show} from '../domain/validate.js'

/**
 * Report files (--output): checked before any work is done, then written whole or not at all — to
 * a temporary file in the same directory, renamed over the target (atomic on one filesystem), so a
 * reader never sees half a report and a failure leaves no file behind.
 */

/** Refuses a path whose directory is missing or not writable, or that names a directory. */
export function checkReportPath(path: string): string {
  const target = resolve(path)
  const dir = dirname(target)
  let isDir: boolean
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    throw invalidInput(`--output ${show(path)}: the directory ${dir} does not exist.`, 'Create it first, or choose another path.')
  }
  if (!isDir) throw invalidInput(`--output ${show(path)}: ${dir} is not a directory.`, 'Choose another path.')
  try {
    accessSync(dir, constants.W_OK)
  } catch {
    throw invalidInput(`--output ${show(path)}: the directory ${dir} is not writable.`, 'Choose another path.')
  }
  if (statSync(target, {throwIfNoEntry: false})?.isDirectory()) throw invalidInput(`--output ${show(path)} is a directory, not a file.`, 'Give a file name, such as report.json.')
  return target
}

/** Writes `text` to `path` atomically (see above); an I/O failure is one line naming the path. */
export function writeReportFile(path: string, text: string): void {
  const target = checkReportPath(path)
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(tmp, text, {flag: 'wx', mode: 0o644})
    renameSync(tmp, target)
  } catch (error) {
    try {
      unlinkSync(tmp)
    } catch {
      // never created, or already renamed
    }
    const e = error as NodeJS.ErrnoException
    throw invalidInput(`--output ${show(path)} could not be written: ${e.code ?? e.message}.`, 'Check the path and free space.')
  }
}

/**
 * Like writeReportFile, for output produced as a stream (the PDF): `produce` writes into a stream on
 * the temporary file and resolves when it has finished; only then is the file renamed into place.
 */
export async function writeReportStream(path: string, produce: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const target = checkReportPath(path)
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const out = createWriteStream(tmp, {flags: 'wx', mode: 0o644})
  try {
    await produce(out)
    await new Promise<void>((done, fail) => {
      if (out.writableFinished) done()
      else {
        out.once('finish', done)
        out.once('error', fail)
      }
    })
    renameSync(tmp, target)
  } catch (error) {
    out.destroy()
    try {
      unlinkSync(tmp)
    } catch {
      // never created, or already renamed
    }
    if (error instanceof Error && error.name === 'OrdermonError') throw error
    const e = error as NodeJS.ErrnoException
    throw invalidInput(`--output ${show(path)} could not be written: ${e.code ?? e.message}.`, 'Check the path and free space.')
  }
}
