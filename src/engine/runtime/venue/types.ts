import type {Order} from '../../store/index.js'
import type {Tick} from '../market/types.js'

export interface VenueFill {
  order_id: string
  quantity: number
  price: number
  fee: number
}

export interface VenueDecision {
  fills: VenueFill[]
  /** Orders to end without (more) fills: IOC/FOK leftovers. */
  cancels: Array<{order_id: string; reason: string}>
}

export interface ExecutionVenue {
  readonly name: string
  /** Decides what happens to open orders on this tick (nothing is written here). */
  onTick(tick: Tick, orders: Iterable<Order>, now: number): VenueDecision
}
