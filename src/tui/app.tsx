import {Box, Text, useApp, useInput} from 'ink'
import {useEffect, useReducer, useRef, useState} from 'react'
import type {OrderLog} from '../engine/store/index.js'
import {alertTable, orderTable, strategyTable, userTable, type TableSpec} from './columns.js'
import {Dashboard} from './components/Dashboard.js'
import {Header} from './components/Header.js'
import {Help} from './components/Help.js'
import {OrderDetail} from './components/OrderDetail.js'
import {Table} from './components/Table.js'
import type {FeedStatus} from './feed.js'
import {views, type View} from './keys.js'
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

const specs: Record<Exclude<View, 'dashboard'>, TableSpec<any>> = {users: userTable, strategies: strategyTable, orders: orderTable, alerts: alertTable}

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

  useInput((input, key) => {
    if (filtering) {
      if (key.return) setFiltering(false)
      else if (key.escape) {
        setFiltering(false)
        dispatch({type: 'filter', text: '', view})
      } else if (key.backspace || key.delete) dispatch({type: 'filter', text: tstate.filter.slice(0, -1), view})
      else if (input && !key.ctrl && !key.meta) dispatch({type: 'filter', text: tstate.filter + input, view})
      return
    }
    if (help) {
      setHelp(false)
      return
    }
    if (input === 'q' || (key.ctrl && input === 'c')) return exit()
    if (input === '?') return setHelp(true)
    if (input === 'p') return setPaused((p) => !p)
    if (detail) {
      if (key.escape) setDetail(undefined)
      return
    }
    const n = Number(input)
    if (n >= 1 && n <= views.length) return setView(views[n - 1]!)
    if (key.tab) return setView(views[(views.indexOf(view) + 1) % views.length]!)
    if (!table) return
    if (input === '/') return setFiltering(true)
    if (input === 's') return dispatch({type: 'sort', columns: table.columns.length, view})
    if (input === 'S') return dispatch({type: 'reverse', view})
    if (key.upArrow || input === 'k') return dispatch({type: 'move', by: -1, max: rows.length, view})
    if (key.downArrow || input === 'j') return dispatch({type: 'move', by: 1, max: rows.length, view})
    if (key.pageUp) return dispatch({type: 'move', by: -(height - 6), max: rows.length, view})
    if (key.pageDown) return dispatch({type: 'move', by: height - 6, max: rows.length, view})
    if (key.escape) return dispatch({type: 'filter', text: '', view})
    if (key.return && view === 'orders' && rows[tstate.selected]) {
      const order = rows[tstate.selected] as OrderRow
      setDetail({order})
      source.orderHistory(order.order_id).then(
        (history) => setDetail((d) => (d && d.order.order_id === order.order_id ? {order, history} : d)),
        () => setDetail((d) => (d ? {...d, history: []} : d)),
      )
    }
  })

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
        <Text dimColor wrap="truncate">1-5 views · / filter · s sort · ↑↓ select · Enter detail · p pause · ? help · q quit</Text>
      )}
    </Box>
  )
}
