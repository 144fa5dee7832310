/** The overview's filter form: any event name (the catalogue as suggestions), hints as placeholders, a sentence per bad field. Render only. */
import { EVENT_STATUSES, type ListFilterColumn } from "../events/vocabulary";
import { EVENT_NAME_SUGGESTIONS } from "../read-model/event-shapes";
import { CATEGORY_LABELS } from "./format";

/** The overview's filters as typed, kept in the form and in the page links. */
export type FilterValues = Partial<Record<ListFilterColumn | "since" | "until", string>>;

const TIME_HINT = "a date (2024-11-28), a date and time in UTC (2024-11-28T08:00), or milliseconds since 1970";

/** What to tell a person about each field the list refused, in a sentence. */
const FIELD_SENTENCES: Record<string, string> = {
  event: "Event: write an event name of at most 200 characters, e.g. order.shipped.",
  category: "Category: choose one from the list.",
  status: "Status: choose one from the list.",
  order_number: "Order: write an order number of at most 200 characters.",
  resource_id: "Resource: write an order, shipment, return or invoice number of at most 200 characters.",
  seller_id: "Seller: write a seller id of at most 200 characters.",
  since: `Since: write ${TIME_HINT}.`,
  until: `Until: write ${TIME_HINT}.`,
  limit: "Page size: a whole number from 1 to 200.",
  cursor:
    "This page link is not one this dashboard made (or the tokens changed since): start again from the newest events.",
};

/**
 * One sentence per refused field, never the validator's own words. A field named but not known
 * to the form is a parameter this page does not take.
 */
export function filterSentences(errors: Record<string, string>): string[] {
  return Object.entries(errors).map(([field, message]) => {
    if (field === "until" && /later than since/.test(message)) return "Until must be later than Since.";
    return FIELD_SENTENCES[field] ?? `“${field}” is not a filter of this page; remove it from the address.`;
  });
}

/** A filter chosen from a list; the empty first option ("Any …") means no filter. */
function AnySelect(props: {
  label: string;
  name: keyof FilterValues;
  values: FilterValues;
  options: readonly string[];
  labels?: Record<string, string>;
}) {
  const selected = props.values[props.name];
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">Any {props.label.toLowerCase()}</option>
        {props.options.map((value) => (
          <option value={value} selected={value === selected}>
            {props.labels?.[value] ?? value}
          </option>
        ))}
      </select>
    </label>
  );
}

function TextFilter(props: {
  label: string;
  name: keyof FilterValues;
  values: FilterValues;
  hint: string;
  list?: string;
}) {
  return (
    <label>
      {props.label}
      <input name={props.name} value={props.values[props.name] ?? ""} placeholder={props.hint} list={props.list} />
    </label>
  );
}

/** The form; `errors` (field → validator message) become sentences above the list. */
export function Filters({ values, errors }: { values: FilterValues; errors: Record<string, string> }) {
  const sentences = filterSentences(errors);
  return (
    <form method="get" action="/dashboard" class="filters" aria-label="Filter events">
      <TextFilter label="Event" name="event" values={values} hint="e.g. order.shipped" list="event-names" />
      <datalist id="event-names">
        {EVENT_NAME_SUGGESTIONS.map((name) => (
          <option value={name} />
        ))}
      </datalist>
      <AnySelect
        label="Category"
        name="category"
        values={values}
        options={Object.keys(CATEGORY_LABELS)}
        labels={CATEGORY_LABELS}
      />
      <AnySelect label="Status" name="status" values={values} options={EVENT_STATUSES} />
      <TextFilter label="Order" name="order_number" values={values} hint="e.g. OM2411280001" />
      <TextFilter label="Resource" name="resource_id" values={values} hint="e.g. SH2411280001" />
      <TextFilter label="Seller" name="seller_id" values={values} hint="e.g. 1001" />
      <TextFilter label="Since (UTC)" name="since" values={values} hint="e.g. 2024-11-28T00:00" />
      <TextFilter label="Until (UTC)" name="until" values={values} hint="e.g. 2024-11-29" />
      <div class="actions">
        <button type="submit">Apply</button>
        <a class="button secondary" href="/dashboard">
          Reset
        </a>
      </div>
      {sentences.length > 0 ? (
        <ul class="flash bad filter-errors" role="alert">
          {sentences.map((sentence) => (
            <li>{sentence}</li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
