import type {OrdermonConfig} from '../config/index.js'
import type {Store} from '../store/index.js'

/** Who is acting and through what: the CLI, the daemon and the API build one and call the same services. */
export interface Actor {
  name: string
  source: 'cli' | 'api' | 'engine'
}

export interface ServiceDeps {
  store: Store
  config: OrdermonConfig
}
