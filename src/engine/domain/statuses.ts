/**
 * Every enumerated value of the data model, and the questions asked of them ("is this order open?"),
 * in one place. The store, the services, the commands' flag options, the engine and the panel all
 * read these; none spells a status list of its own. Importing this module does no work.
 */

export const userTypes = ['personal', 'professional', 'institutional'] as const
export const userRoles = ['admin', 'trader', 'analyst', 'guest'] as const
export const userStatuses = ['active', 'suspended', 'locked'] as const
export type UserType = (typeof userTypes)[number]
export type UserRole = (typeof userRoles)[number]
export type UserStatus = (typeof userStatuses)[number]

export const strategyTypes = ['momentum', 'arbitrage', 'grid', 'custom'] as const
export const strategyStatuses = ['running', 'paused', 'stopped', 'error'] as const
export type StrategyType = (typeof strategyTypes)[number]
export type StrategyStatus = (typeof strategyStatuses)[number]

export const orderSides = ['buy', 'sell'] as const
export const orderTypes = ['market', 'limit', 'stop', 'stop_limit'] as const
export const timesInForce = ['GTC', 'IOC', 'FOK', 'DAY'] as const
export const orderStatuses = ['pending', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired'] as const
/** Orders still working: the engine monitors them, the venue may fill them, a user may modify them. */
export const openOrderStatuses = ['pending', 'partially_filled'] as const
/** Final states: an order in one never changes again. */
export const terminalOrderStatuses = ['filled', 'cancelled', 'rejected', 'expired'] as const
/** Who made a change: written to order_logs and to each event's `source`. */
export const changeSources = ['engine', 'cli', 'api', 'sql'] as const
export type OrderSide = (typeof orderSides)[number]
export type OrderType = (typeof orderTypes)[number]
export type TimeInForce = (typeof timesInForce)[number]
export type OrderStatus = (typeof orderStatuses)[number]
export type OpenOrderStatus = (typeof openOrderStatuses)[number]
export type ChangeSource = (typeof changeSources)[number]

const openSet: ReadonlySet<string> = new Set(openOrderStatuses)
const terminalSet: ReadonlySet<string> = new Set(terminalOrderStatuses)

/** Takes any string (a panel row, a raw SQL value): unknown statuses are neither open nor final. */
export const isOpenOrder = (status: string): status is OpenOrderStatus => openSet.has(status)
export const isTerminalOrder = (status: string): boolean => terminalSet.has(status)

/** Only an active user is monitored, trades, and may place orders. */
export const isActiveUser = (status: string): boolean => status === 'active'
/** Only a running strategy is loaded by the engine and places orders. */
export const isRunningStrategy = (status: string): boolean => status === 'running'
