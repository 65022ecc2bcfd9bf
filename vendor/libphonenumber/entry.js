// What the web pages take of libphonenumber-js: parsing an E.164 number
// with the small ("min") metadata, whose PhoneNumber groups it for reading
// (formatInternational: +49 231 5551234).
export { parsePhoneNumberFromString } from 'libphonenumber-js/min';
