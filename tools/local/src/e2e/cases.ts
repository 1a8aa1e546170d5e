import { batchRoute, blackfridayScenario, olympicsScenario, OUTCOMES, weatherScenario } from '@oleada/scenarios';
import type { PipelineCase } from './pipeline-suite';

const json = (body: unknown) => JSON.stringify(body);

/** Black Friday: the spec's sale, by category name or number. */
export const blackfridayCase: PipelineCase = (() => {
  const valid = { categoria: 'Ropa', producto_id: 'ROPA-JEANS', precio: 199.5, cantidad_vendida: 1 };
  return {
    scenario: blackfridayScenario,
    invalid: (body, i) => ({ ...body, cantidad_vendida: -i }),
    badInputs: [
      { name: 'wrong type: price as string', body: json({ ...valid, precio: '199.5' }), status: 422, field: 'precio' },
      { name: 'wrong type: quantity as string', body: json({ ...valid, cantidad_vendida: '1' }), status: 422, field: 'cantidad_vendida' },
      { name: 'unknown category', body: json({ ...valid, categoria: 'Juguetes' }), status: 422, field: 'categoria' },
      { name: 'category 0', body: json({ ...valid, categoria: 0 }), status: 422, field: 'categoria' },
      { name: 'zero quantity', body: json({ ...valid, cantidad_vendida: 0 }), status: 422, field: 'cantidad_vendida' },
      { name: 'negative quantity', body: json({ ...valid, cantidad_vendida: -3 }), status: 422, field: 'cantidad_vendida' },
      { name: 'negative price', body: json({ ...valid, precio: -1 }), status: 422, field: 'precio' },
      { name: 'NaN price', body: '{"categoria":"Ropa","producto_id":"X","precio":NaN,"cantidad_vendida":1}', status: 400, field: '(body)' },
      { name: 'huge price', body: json({ ...valid, precio: 1e300 }), status: 422, field: 'precio' },
      { name: 'null price', body: json({ ...valid, precio: null }), status: 422, field: 'precio' },
      { name: 'missing field', body: json({ categoria: 'Ropa', precio: 1, cantidad_vendida: 1 }), status: 422, field: 'producto_id' },
      { name: 'extra field', body: json({ ...valid, descuento: 5 }), status: 422, field: 'descuento' },
      { name: 'a bad event inside a batch', body: json([valid, { ...valid, precio: 0 }]), status: 422, field: '[1].precio', path: batchRoute(blackfridayScenario) },
    ],
  };
})();

/** Weather: municipality and condition by name or number, readings with one decimal. */
export const weatherCase: PipelineCase = (() => {
  const valid = { municipality: 'mixco', temperature: 21.5, humidity: 64, weather: 'rainy' };
  return {
    scenario: weatherScenario,
    invalid: (body, i) => ({ ...body, humidity: 100.5 + i }),
    badInputs: [
      { name: 'unknown municipality', body: json({ ...valid, municipality: 'antigua' }), status: 422, field: 'municipality' },
      { name: 'municipality 0', body: json({ ...valid, municipality: 0 }), status: 422, field: 'municipality' },
      { name: 'unknown condition', body: json({ ...valid, weather: 'snowy' }), status: 422, field: 'weather' },
      { name: 'temperature as string', body: json({ ...valid, temperature: '21.5' }), status: 422, field: 'temperature' },
      { name: 'temperature out of range', body: json({ ...valid, temperature: 60 }), status: 422, field: 'temperature' },
      { name: 'temperature with two decimals', body: json({ ...valid, temperature: 21.55 }), status: 422, field: 'temperature' },
      { name: 'negative humidity', body: json({ ...valid, humidity: -1 }), status: 422, field: 'humidity' },
      { name: 'null humidity', body: json({ ...valid, humidity: null }), status: 422, field: 'humidity' },
      { name: 'NaN temperature', body: '{"municipality":"mixco","temperature":NaN,"humidity":50,"weather":"sunny"}', status: 400, field: '(body)' },
      { name: 'missing condition', body: json({ municipality: 'mixco', temperature: 20, humidity: 50 }), status: 422, field: 'weather' },
      { name: 'a bad report on the /tweet alias', body: json({ ...valid, weather: 9 }), status: 422, field: 'weather', path: '/tweet' },
    ],
  };
})();

/** Olympics: the writer decides winner or loser, so only the sums over both outcomes are predictable. */
export const olympicsCase: PipelineCase = (() => {
  const valid = { name: 'Ana López', age: 22, faculty: 'Agronomia', discipline: 'boxing' };
  const outcome = new RegExp(`:(${OUTCOMES.join('|')})$`);
  return {
    scenario: olympicsScenario,
    invalid: (body, i) => ({ ...body, age: 5 + i % 9 }),
    project: (key, field) => (key.endsWith(':results') ? [key, 'any'] : [key.replace(outcome, ':any'), field]),
    badInputs: [
      { name: 'unknown faculty', body: json({ ...valid, faculty: 'Medicina' }), status: 422, field: 'faculty' },
      { name: 'faculty 0', body: json({ ...valid, faculty: 0 }), status: 422, field: 'faculty' },
      { name: 'unknown discipline', body: json({ ...valid, discipline: 'chess' }), status: 422, field: 'discipline' },
      { name: 'age as string', body: json({ ...valid, age: '22' }), status: 422, field: 'age' },
      { name: 'too young', body: json({ ...valid, age: 12 }), status: 422, field: 'age' },
      { name: 'fractional age', body: json({ ...valid, age: 22.5 }), status: 422, field: 'age' },
      { name: 'empty name', body: json({ ...valid, name: '' }), status: 422, field: 'name' },
      { name: 'outcome sent by the client', body: json({ ...valid, outcome: 'winners' }), status: 422, field: 'outcome' },
    ],
  };
})();
