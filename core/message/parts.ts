import { z } from 'zod'

export const Action = z.object({
  type: z.enum(['postback', 'url']).default('postback'),
  title: z.string().min(1),
  /** The postback value sent back as the user's message, or the link for `url`. */
  value: z.string().min(1),
})
export type Action = z.infer<typeof Action>

export const Option = z.object({
  title: z.string().min(1),
  value: z.string().min(1),
})
export type Option = z.infer<typeof Option>

const media = <T extends 'image' | 'audio' | 'video' | 'file'>(type: T) =>
  z.object({
    type: z.literal(type),
    url: z.url(),
    name: z.string().optional(),
    mime: z.string().optional(),
  })

export const Part = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  media('image'),
  media('audio'),
  media('video'),
  media('file'),
  z.object({ type: z.literal('card'), title: z.string(), body: z.string().optional(), actions: z.array(Action).default([]) }),
  z.object({ type: z.literal('choice'), text: z.string(), options: z.array(Option).min(1) }),
])
export type Part = z.infer<typeof Part>
export type PartType = Part['type']
export type PartOf<T extends PartType> = Extract<Part, { type: T }>

export const text = (value: string): Part => ({ type: 'text', text: value })
