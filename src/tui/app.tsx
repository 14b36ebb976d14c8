import {Box, Text, useApp, useInput, type Key} from 'ink'
import {useCallback, useEffect, useReducer, useRef, useState} from 'react'
import type {OrderLog} from '../engine/index.js'
import {alertTable, engineTable, orderTable, strategyTable, userTable, type TableSpec} from './columns.js'
import {Dashboard} from './components/Dashboard.js'
import {Header} from './components/Header.js'
import {Help} from './components/Help.js'
import {OrderDetail} from './components/OrderDetail.js'
import {Table} from './components/Table.js'
import type {FeedStatus} from './feed.js'
import {footerHint, resolveKey, views, type Mode, type View} from './keys.js'
import type {OrderRow, PanelModel} from './model.js'
import {initialTable, visibleRows, type TableState} from './table-state.js'
import {ViewTabs} from './components/ViewTabs.js'
import {useTerminalSize} from './use-terminal-size.js'

/** What the panel reads: the LiveFeed in production, any object of this shape in tests. */
export interface PanelSource {
  model: PanelModel
  status: FeedStatus
  on(event: 'change' | 'status', listener: () => void): unknown
  off(event: 'change' | 'status', listener: () => void): unknown
  orderHistory(orderId: string): Promise<OrderLog[]>
}

/** Redraws at most this often however fast events arrive (4 frames a second). */
export const FRAME_MS = 250

const specs: Record<Exclude<View, 'dashboard'>, TableSpec<any>> = {users: userTable, strategies: strategyTable, orders: orderTable, alerts: alertTable, engines: engineTable}

type Action =
  | {type: 'view'; view: View}
  | {type: 'filter'; text: string}
  | {type: 'sort'; columns: number}
  | {type: 'reverse'}
  | {type: 'move'; by: number; max: number}

function tablesReducer(state: Record<string, TableState>, a: Action & {view?: View}): Record<string, TableState> {
  if (a.type === 'view') return state
  const view = a.view as string
  const t = state[view] ?? initialTable
  switch (a.type) {
    case 'filter':
      return {...state, [view]: {...t, filter: a.text, selected: 0}}
    case 'sort':
      return {...state, [view]: {...t, sortColumn: t.sortColumn === null ? 0 : (t.sortColumn + 1) % a.columns, descending: false}}
    case 'reverse':
      return {...state, [view]: {...t, sortColumn: t.sortColumn ?? 0, descending: !t.descending}}
    case 'move':
      return {...state, [view]: {...t, selected: Math.max(0, Math.min(a.max - 1, t.selected + a.by))}}
  }
}

export function App({source, initialView = 'dashboard'}: {source: PanelSource; initialView?: View}) {
  const {exit} = useApp()
  const {columns: width, rows: height} = useTerminalSize()
  const [view, setView] = useState<View>(initialView)
  const [help, setHelp] = useState(false)
  const [paused, setPaused] = useState(false)
  const [filtering, setFiltering] = useState(false)
  const [detail, setDetail] = useState<{order: OrderRow; history?: OrderLog[]} | undefined>()
  const [tables, dispatch] = useReducer(tablesReducer, {})
  const [, setFrame] = useState(0)
  const [status, setStatus] = useState<FeedStatus>(source.status)
  const dirty = useRef(true)
  const pausedRef = useRef(false)
  const onKey = useRef<(input: string, key: Key) => void>(() => {})
  pausedRef.current = paused

  // Events mark the model dirty; a frame timer redraws at most every FRAME_MS, so a burst of
  // thousands of events costs a few renders, not thousands. Paused: the frame stays as it is.
  useEffect(() => {
    const onChange = () => void (dirty.current = true)
    const onStatus = () => {
      setStatus(source.status)
      dirty.current = true
    }
    source.on('change', onChange)
    source.on('status', onStatus)
    const timer = setInterval(() => {
      if (pausedRef.current) return
      if (dirty.current || Date.now() % 1000 < FRAME_MS) {
        dirty.current = false
        setFrame((f) => f + 1)
      }
    }, FRAME_MS)
    return () => {
      clearInterval(timer)
      source.off('change', onChange)
      source.off('status', onStatus)
    }
  }, [source])

  const table = view === 'dashboard' ? undefined : specs[view]
  const tstate = tables[view] ?? initialTable
  const rows = table ? visibleRows(table.rows(source.model), table.columns, tstate) : []

  // Which bindings apply: the same precedence as ever (the filter prompt takes every key, the help
  // closes on any key, the detail keeps only quit/help/pause/Esc, table keys need a table).
  const mode: Mode = filtering ? 'filtering' : help ? 'help' : detail ? 'detail' : table ? 'table' : 'dashboard'

  // Dispatches on the command the key map resolves, never on key literals (keys.ts owns those).
  // Ink re-subscribes useInput's callback only in an effect after the frame is drawn, so a key
  // right after another could meet the previous mode: the stable callback calls this render's.
  onKey.current = (input, key) => {
    const binding = resolveKey(mode, input, key)
    if (!binding) return
    const move = (by: number) => dispatch({type: 'move', by, max: rows.length, view})
    const setFilter = (text: string) => dispatch({type: 'filter', text, view})
    switch (binding.command) {
      case 'quit':
        return exit()
      case 'help':
        return setHelp(true)
      case 'closeHelp':
        return setHelp(false)
      case 'pause':
        return setPaused((p) => !p)
      case 'view':
        return setView(binding.view)
      case 'nextView':
        return setView(views[(views.indexOf(view) + 1) % views.length]!)
      case 'filter':
        return setFiltering(true)
      case 'sort':
        return table && dispatch({type: 'sort', columns: table.columns.length, view})
      case 'reverse':
        return dispatch({type: 'reverse', view})
      case 'up':
        return move(-1)
      case 'down':
        return move(1)
      case 'pageUp':
        return move(-(height - 6))
      case 'pageDown':
        return move(height - 6)
      case 'back':
        return detail ? setDetail(undefined) : setFilter('')
      case 'details':
        return view === 'orders' && rows[tstate.selected] ? showDetail(rows[tstate.selected] as OrderRow) : undefined
      case 'keepFilter':
        return setFiltering(false)
      case 'clearFilter':
        setFiltering(false)
        return setFilter('')
      case 'deleteChar':
        return setFilter(tstate.filter.slice(0, -1))
      case 'typeChar':
        // The typed text itself (or a paste), not a key: it goes into the filter.
        return setFilter(tstate.filter + input)
      default:
        // A command in the map without a case here does not compile.
        return binding satisfies never
    }
  }
  useInput(useCallback((input: string, key: Key) => onKey.current(input, key), []))

  function showDetail(order: OrderRow) {
    setDetail({order})
    source.orderHistory(order.order_id).then(
      (history) => setDetail((d) => (d && d.order.order_id === order.order_id ? {order, history} : d)),
      () => setDetail((d) => (d ? {...d, history: []} : d)),
    )
  }

  const bodyHeight = height - 3
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header model={source.model} status={status} paused={paused} now={Date.now()} />
      <ViewTabs current={view} note={table ? `${rows.length} rows${tstate.filter ? ` matching "${tstate.filter}"` : ''}` : undefined} />
      <Box flexGrow={1} flexDirection="column">
        {help ? (
          <Help />
        ) : detail ? (
          <OrderDetail order={source.model.orders.get(detail.order.order_id) ?? detail.order} history={detail.history} />
        ) : table ? (
          <Table columns={table.columns} rows={rows} rowKey={table.key} selected={tstate.selected} height={bodyHeight - (filtering ? 1 : 0)} width={width} sortColumn={tstate.sortColumn} descending={tstate.descending} />
        ) : (
          <Dashboard model={source.model} width={width} height={bodyHeight} />
        )}
      </Box>
      {filtering ? (
        <Text>
          <Text color="cyan">/</Text>
          {tstate.filter}
          <Text inverse> </Text>
        </Text>
      ) : (
        <Text dimColor wrap="truncate">{footerHint}</Text>
      )}
    </Box>
  )
}
