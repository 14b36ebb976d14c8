import type {OrdermonConfig} from '../../config/index.js'
import {ExternalVenue, PaperVenue} from './paper.js'
import type {ExecutionVenue} from './types.js'

/** The execution venue engine.venue names: paper (simulated matching) or external (an outside gateway fills). */
export function openVenue(config: OrdermonConfig): ExecutionVenue {
  const e = config.engine
  return e.venue === 'external' ? new ExternalVenue() : new PaperVenue({latencyMs: e.paper_latency_ms})
}
