/** One price update per symbol; `volume` is what the paper venue may fill at this tick. */
export interface Tick {
  symbol: string
  price: number
  volume: number
  at: number
}

export interface MarketData {
  readonly name: string
  /** Adds symbols to follow (strategies and open orders bring theirs). */
  follow(symbols: Iterable<string>): void
  /** The next ticks, or none when the source has nothing new. */
  next(now: number): Promise<Tick[]> | Tick[]
  last(symbol: string): number | undefined
  close?(): Promise<void>
}
