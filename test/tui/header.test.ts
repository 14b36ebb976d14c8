import React from 'react'
import {cleanup, render} from 'ink-testing-library'
import {afterEach, describe, expect, it} from 'vitest'
import {Header} from '../../src/tui/components/Header.js'
import type {FeedStatus} from '../../src/tui/feed.js'
import {emptyModel} from '../../src/tui/model.js'

/** The panel's header line: with several engines sharing the database it says how many. */
describe('the header', () => {
  afterEach(() => cleanup())
  const status = {connection: 'live', source: 'redis'} as unknown as FeedStatus
  const frame = (engines: number | undefined) => {
    const model = emptyModel()
    model.engine = {status: 'running', instance: 'host-1-abc', started_at: new Date(Date.now() - 65_000).toISOString(), engines}
    return render(React.createElement(Header, {model, status, paused: false, now: Date.now()})).lastFrame() ?? ''
  }

  it('shows the engine count when several engines share the database', () => {
    expect(frame(3)).toMatch(/3 engines/)
  })

  it('says nothing of it for one engine (or before the first check)', () => {
    expect(frame(1)).not.toMatch(/engines/)
    expect(frame(undefined)).not.toMatch(/engines/)
    expect(frame(1)).toMatch(/running/)
  })
})
