import {useStdout} from 'ink'
import {useEffect, useState} from 'react'

export interface TerminalSize {
  columns: number
  rows: number
}

/** The panel never draws smaller than this; a smaller terminal cuts it rather than garbling it. */
export const MIN_SIZE: TerminalSize = {columns: 60, rows: 20}

const measure = (out: NodeJS.WriteStream | undefined): TerminalSize => ({
  columns: Math.max(MIN_SIZE.columns, out?.columns || 80),
  rows: Math.max(MIN_SIZE.rows, out?.rows || 24),
})

/**
 * The terminal's size, updated on 'resize': Ink only re-lays-out its last tree when the window
 * changes, so anything sized from stdout.columns must re-render for the new size to take effect.
 */
export function useTerminalSize(): TerminalSize {
  const {stdout} = useStdout()
  const [size, setSize] = useState(() => measure(stdout))
  useEffect(() => {
    if (!stdout) return
    const onResize = () =>
      setSize((prev) => {
        const next = measure(stdout)
        return next.columns === prev.columns && next.rows === prev.rows ? prev : next
      })
    stdout.on('resize', onResize)
    // A resize between the first render and this effect would otherwise be missed.
    onResize()
    return () => void stdout.off('resize', onResize)
  }, [stdout])
  return size
}
